package mempool

import "github.com/lazchain/lazchain/internal/types"

// SetNonce tells the pool a sender's next nonce in committed state, for a
// sender the pool has not seen commit yet (e.g. after a restart).
func (p *Pool) SetNonce(from []byte, next uint64) {
	var s sender
	copy(s[:], from)
	p.mu.Lock()
	defer p.mu.Unlock()
	if acc := p.accounts[s]; acc != nil && next > acc.next {
		p.advance(s, acc, next)
	}
}

// Reap returns up to maxTxs transactions totalling at most maxBytes for a
// block at height, in nonce order per sender, skipping any already in an
// uncommitted proposal. They stay in the pool, marked, until committed or
// until a commit passes height without them.
func (p *Pool) Reap(height uint64, maxTxs, maxBytes int) []*types.Tx {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*types.Tx
	bytes := 0
	for _, s := range p.order {
		acc := p.accounts[s]
		if acc == nil {
			continue
		}
		for n := acc.next; ; n++ {
			e := acc.txs[n]
			if e == nil || len(out) >= maxTxs || bytes+e.size > maxBytes {
				break
			}
			if e.proposed != 0 {
				continue // in flight in an earlier block; its successors may go
			}
			e.proposed = height
			p.inflight[height] = append(p.inflight[height], e)
			out = append(out, e.tx)
			bytes += e.size
		}
		if len(out) >= maxTxs {
			break
		}
	}
	return out
}

// Commit removes a committed block's transactions, advances their
// senders' nonces (dropping what those nonces made stale), and releases
// transactions proposed at or below height that did not make it.
func (p *Pool) Commit(height uint64, txs []*types.Tx) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, tx := range txs {
		var s sender
		copy(s[:], tx.Sender)
		acc := p.accounts[s]
		if acc == nil {
			continue
		}
		if tx.Nonce+1 > acc.next {
			p.advance(s, acc, tx.Nonce+1)
		}
	}
	for h, es := range p.inflight {
		if h <= height {
			for _, e := range es {
				e.proposed = 0
			}
			delete(p.inflight, h)
		}
	}
	p.compact()
}

// advance moves a sender's next nonce and drops transactions below it.
func (p *Pool) advance(_ sender, acc *account, next uint64) {
	for n, e := range acc.txs {
		if n < next {
			delete(acc.txs, n)
			delete(p.byHash, e.tx.Hash())
			p.bytes -= e.size
		}
	}
	acc.next = next
}

// compact forgets empty accounts so the order list does not grow forever.
func (p *Pool) compact() {
	keep := p.order[:0]
	for _, s := range p.order {
		if acc := p.accounts[s]; acc != nil && len(acc.txs) > 0 {
			keep = append(keep, s)
		} else {
			delete(p.accounts, s)
		}
	}
	p.order = keep
}
