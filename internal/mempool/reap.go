package mempool

import (
	"time"

	"github.com/lazchain/lazchain/internal/types"
)

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

// Pending maps a sender to the next nonce after the transactions already
// in uncommitted ancestor blocks of the block being built.
type Pending map[[32]byte]uint64

// Reap returns up to maxTxs transactions totalling at most maxBytes, in
// nonce order per sender, starting for each sender after its committed
// nonce and after whatever the uncommitted ancestors (pending) already
// carry. Transactions stay in the pool until a commit removes them, so a
// proposal that fails leaves them available to the next leader.
func (p *Pool) Reap(maxTxs, maxBytes int, pending Pending) []*types.Tx {
	txs, _ := p.reap(maxTxs, maxBytes, pending, false)
	return txs
}

// ReapAged is Reap that also returns, for each transaction, how long ago
// the pool admitted it: a leader's proposal reports how long transactions
// waited in its pool to be proposed.
func (p *Pool) ReapAged(maxTxs, maxBytes int, pending Pending) ([]*types.Tx, []time.Duration) {
	return p.reap(maxTxs, maxBytes, pending, true)
}

func (p *Pool) reap(maxTxs, maxBytes int, pending Pending, aged bool) ([]*types.Tx, []time.Duration) {
	var now time.Time
	if aged {
		now = time.Now()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*types.Tx
	var ages []time.Duration
	bytes := 0
	// Two passes: first each sender, in arrival order, up to its share of
	// the block; then the room left, in the same order. In one pass a
	// sender that arrived first and kept more than a block's worth waiting
	// filled every block, and everyone behind it waited for good.
	share := max(1, maxTxs/max(1, len(p.order)))
	next := make([]uint64, len(p.order))
	for pass := 0; pass < 2 && len(out) < maxTxs; pass++ {
		for k, s := range p.order {
			acc := p.accounts[s]
			if acc == nil {
				continue
			}
			if pass == 0 {
				next[k] = max(acc.next, pending[s])
			}
			for taken := 0; pass == 1 || taken < share; taken++ {
				e := acc.txs.get(next[k])
				if e == nil || len(out) >= maxTxs || bytes+e.size > maxBytes {
					break
				}
				out = append(out, e.tx)
				if aged {
					ages = append(ages, now.Sub(e.added))
				}
				bytes += e.size
				next[k]++
			}
			if len(out) >= maxTxs {
				break
			}
		}
	}
	return out, ages
}

// Commit removes a committed block's transactions and advances their
// senders' nonces, dropping what those nonces made stale. It takes each
// sender's nonce from committed state, which the caller has executed the
// block into, not from the block: a leader may put in any transaction,
// and one that did not execute (a forged signature, a nonce far ahead)
// uses no nonce. Trusting its nonce would let a Byzantine leader make
// every pool drop an honest sender's waiting transactions and refuse the
// ones it still needs.
func (p *Pool) Commit(txs []*types.Tx) {
	committed := make(map[sender]uint64, 4)
	p.readNonces(txs, committed) // outside the lock: they may come from the store
	p.mu.Lock()
	defer p.mu.Unlock()
	for s, next := range committed {
		if acc := p.accounts[s]; acc != nil && next > acc.next {
			p.advance(s, acc, next)
		}
	}
	p.compact()
	p.commits.Add(1)
}

// advance moves a sender's next nonce and drops transactions below it.
// The pool holds a sender's transactions only from its next nonce up, so
// the ones to drop are exactly the nonces being passed.
func (p *Pool) advance(_ sender, acc *account, next uint64) {
	end := acc.end
	acc.txs.advance(next, func(n uint64, e *entry) {
		p.forget(e)
		if n < end { // it was in the run
			p.runTxs--
			p.runBytes -= e.size
		}
	})
	acc.next = next
	if acc.end < next {
		acc.end = next
		p.extendRun(acc)
	}
}

// forget removes e from the pool's totals and hash index; its account
// slot is the caller's to clear.
func (p *Pool) forget(e *entry) {
	delete(p.byHash, e.tx.Hash())
	p.bytes -= e.size
}

// compact forgets empty accounts so the order list does not grow forever.
func (p *Pool) compact() {
	keep := p.order[:0]
	for _, s := range p.order {
		if acc := p.accounts[s]; acc != nil && acc.txs.n > 0 {
			keep = append(keep, s)
		} else {
			delete(p.accounts, s)
		}
	}
	p.order = keep
}

// NextNonce returns the nonce a sender's next transaction should carry:
// the first one from committed up that the pool does not hold. A client
// that reads only the committed nonce collides with its own transactions
// still waiting here (and a validator's node key with the node's own).
func (p *Pool) NextNonce(from []byte, committed uint64) uint64 {
	var s sender
	copy(s[:], from)
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runEnd(s, committed)
}
