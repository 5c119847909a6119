package mempool

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lazchain/lazchain/internal/types"
)

// Errors for rejected transactions; callers branch on them.
var (
	ErrFull       = errors.New("mempool: full")
	ErrDuplicate  = errors.New("mempool: transaction already known")
	ErrStaleNonce = errors.New("mempool: nonce already used")
	ErrNonceTaken = errors.New("mempool: another transaction has this nonce")
	ErrBadSig     = errors.New("mempool: bad signature")
	ErrChainID    = errors.New("mempool: wrong chain id")
	ErrTooLarge   = errors.New("mempool: transaction too large")
	ErrNonceGap   = errors.New("mempool: nonce too far ahead of the sender's next")

	// errRefused marks a transaction turned away, with its whole batch,
	// before any check; its message is empty so it adds nothing to ErrFull.
	errRefused = errors.New("")
	// errUnchecked marks a transaction refused before its signature was
	// checked (a nonce already used): nobody may vouch for its batch.
	errUnchecked = errors.New("")
)

// maxClientAhead is how far past the end of a sender's run of consecutive
// nonces a client may submit. Transactions behind a gap cannot be proposed
// until it fills; from clients that never fill it (a refused transaction
// they did not resend) they would otherwise pile up until the pool holds
// nothing a leader can use.
const maxClientAhead = 64

// maxPeerAhead is the same bound for gossip, wider because batches from
// different peers may arrive out of order; without it anyone could fill
// every pool with validly signed transactions that can never be proposed.
const maxPeerAhead = 1024

// Config limits the pool.
type Config struct {
	ChainID  string
	MaxTxs   int
	MaxBytes int
	// Nonce returns a sender's next nonce in committed state, so that a
	// replayed transaction is refused even after the pool forgot the sender.
	Nonce func(sender []byte) uint64
	// Verify checks signatures (nil: types.VerifyTxs). The node passes a
	// sigbatch.Batcher's, which checks concurrent admissions together.
	Verify func([]*types.Tx) []bool
}

type sender [32]byte

type entry struct {
	tx    *types.Tx
	size  int
	added time.Time // when it was admitted, for how long it waited to be proposed
}

type account struct {
	next uint64 // next nonce not yet committed
	end  uint64 // first nonce from next up that txs lacks
	txs  window // by nonce, from next up
}

// Pool is safe for concurrent use.
type Pool struct {
	cfg Config

	mu       sync.Mutex
	byHash   map[types.Hash]*entry
	accounts map[sender]*account
	order    []sender // accounts with transactions, in arrival order
	bytes    int
	// runTxs and runBytes count the entries a leader can propose: those in
	// their sender's run of consecutive nonces. The rest wait behind a gap.
	runTxs, runBytes int
	commits          atomic.Uint64 // bumped by each Commit, under mu
}

// parkedShare is the fraction of the pool's limits that transactions
// waiting behind a nonce gap may hold. Nothing can propose them until the
// gap fills; without a bound, new keys (which cost nothing) sending nonces
// from 1 up would fill every pool with transactions that never commit and
// push out everyone else's.
const parkedShare = 8 // one eighth

// extendRun moves acc's run end past the nonces now held, counting the
// entries it makes proposable.
func (p *Pool) extendRun(acc *account) {
	for e := acc.txs.get(acc.end); e != nil; e = acc.txs.get(acc.end) {
		p.runTxs++
		p.runBytes += e.size
		acc.end++
	}
}

// parkedFull reports whether one more transaction of size bytes behind a
// gap would pass the parked share of the limits.
func (p *Pool) parkedFull(size int) bool {
	return len(p.byHash)-p.runTxs+1 > max(1, p.cfg.MaxTxs/parkedShare) ||
		p.bytes-p.runBytes+size > p.cfg.MaxBytes/parkedShare
}

// New returns an empty pool.
func New(cfg Config) *Pool {
	if cfg.MaxTxs <= 0 {
		cfg.MaxTxs = 200_000
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 256 << 20
	}
	if cfg.Nonce == nil {
		cfg.Nonce = func([]byte) uint64 { return 0 }
	}
	if cfg.Verify == nil {
		cfg.Verify = types.VerifyTxs
	}
	return &Pool{cfg: cfg, byHash: map[types.Hash]*entry{}, accounts: map[sender]*account{}}
}

// Size returns the number of transactions and their bytes.
func (p *Pool) Size() (int, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byHash), p.bytes
}

// Has reports whether the pool holds (and so verified) a transaction.
func (p *Pool) Has(h types.Hash) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.byHash[h] != nil
}

// HeldSince reports since when the pool holds a transaction.
func (p *Pool) HeldSince(h types.Hash) (time.Time, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e := p.byHash[h]
	if e == nil {
		return time.Time{}, false
	}
	return e.added, true
}

// Add verifies and admits transactions from peers. errs[i] is nil when
// txs[i] was admitted. Signature checks run before the lock, in parallel
// batches.
func (p *Pool) Add(txs []*types.Tx) []error { return p.add(txs, true, 1) }

// AddClient is Add for transactions from this node's own clients. They may
// fill only clientShare of the pool: the rest stays free for peers'
// transactions, which other leaders propose. Were clients to fill it, an
// overloaded node would refuse its peers' gossip, then have to check those
// transactions' signatures on the commit path, fall further behind, and
// commit less the more it is offered.
func (p *Pool) AddClient(txs []*types.Tx) []error { return p.add(txs, true, clientShare) }

// clientShare is the fraction of the pool's limits that clients may fill.
const clientShare = 0.75

// AddVerified admits transactions whose signatures validators holding more
// than the faulty share of stake have vouched for: at least one honest
// validator checked each, so checking again here would only burn CPU.
// Everything else (chain, size, duplicates, nonces, limits) is checked.
func (p *Pool) AddVerified(txs []*types.Tx) []error { return p.add(txs, false, 1) }

// Unchecked reports whether a transaction was refused without its
// signature being checked because its nonce was already used. Its batch
// must not be attested: to a validator that has not yet committed that
// nonce, the transaction would look new, and an attestation would let it
// in unchecked.
func Unchecked(err error) bool { return errors.Is(err, errUnchecked) }

// SigChecked reports whether admitting a transaction that got err came as
// far as checking its signature (in a call that checks signatures): what
// a validator spent on it, for budgets of checks.
func SigChecked(err error) bool {
	for _, early := range []error{errRefused, errUnchecked, ErrDuplicate, ErrChainID, ErrTooLarge} {
		if errors.Is(err, early) {
			return false
		}
	}
	return true
}

func (p *Pool) add(txs []*types.Tx, verify bool, share float64) []error {
	if share < 1 && p.over(share) {
		// Refuse the whole batch before spending any CPU on it.
		errs := make([]error, len(txs))
		for i := range errs {
			errs[i] = fmt.Errorf("pool at its limit for client transactions: %w; retry later%w", ErrFull, errRefused)
		}
		return errs
	}
	errs := make([]error, len(txs))
	check := make([]*types.Tx, 0, len(txs))
	pos := make([]int, 0, len(txs))
	known, next, read := p.screen(txs)
	for i, tx := range txs {
		switch {
		case tx.ChainID != p.cfg.ChainID:
			errs[i] = fmt.Errorf("tx for chain %q on chain %q: %w", tx.ChainID, p.cfg.ChainID, ErrChainID)
		case tx.EncodedSize() > types.MaxTxBytes:
			errs[i] = fmt.Errorf("tx over %d bytes: %w", types.MaxTxBytes, ErrTooLarge)
		case known[i]:
			errs[i] = ErrDuplicate
		case tx.Nonce < next[i]:
			// Used already: refused whatever its signature, so not checked.
			// A node behind on gossip gets batches whose transactions it
			// has since executed (checking their signatures then); checked
			// again here, they were a second check of each under load, and
			// the node fell further behind the more it was behind.
			errs[i] = fmt.Errorf("nonce %d, next is %d: %w%w", tx.Nonce, next[i], ErrStaleNonce, errUnchecked)
		default:
			check = append(check, tx)
			pos = append(pos, i)
		}
	}
	var ok []bool
	if verify {
		ok = p.cfg.Verify(check)
	} else {
		ok = make([]bool, len(check))
		for i := range ok {
			ok[i] = true
		}
	}
	nonces := p.committedNonces(check, read)
	defer p.mu.Unlock()
	ahead := uint64(maxPeerAhead)
	if share < 1 {
		ahead = maxClientAhead
	}
	runEnd := map[sender]uint64{}
	for j, tx := range check {
		if !ok[j] {
			errs[pos[j]] = ErrBadSig
			continue
		}
		var s sender
		copy(s[:], tx.Sender)
		end, seen := runEnd[s]
		if !seen {
			end = p.runEnd(s, nonces[s])
		}
		if tx.Nonce > end+ahead {
			errs[pos[j]] = fmt.Errorf("nonce %d, sender's next is %d: %w; submit the missing ones first", tx.Nonce, end, ErrNonceGap)
			continue
		}
		errs[pos[j]] = p.insert(tx, nonces[s], share)
		if errs[pos[j]] == nil && tx.Nonce == end {
			end = p.runEnd(s, end)
		}
		runEnd[s] = end
	}
	return errs
}

// nonceRead is a read of committed nonces and the commit count before it.
type nonceRead struct {
	nonces map[sender]uint64
	gen    uint64
}

// screen reports, for each transaction, whether the pool holds it and the
// sender's next unused nonce (committed, or taken by the pool), reading
// committed nonces before the lock; it returns that read for
// committedNonces to reuse. A nonce only grows, so a transaction below it
// here is below it for good.
func (p *Pool) screen(txs []*types.Tx) (known []bool, next []uint64, read nonceRead) {
	read = nonceRead{nonces: make(map[sender]uint64, 4), gen: p.commits.Load()}
	p.readNonces(txs, read.nonces)
	known, next = make([]bool, len(txs)), make([]uint64, len(txs))
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, tx := range txs {
		known[i] = p.byHash[tx.Hash()] != nil
		var s sender
		copy(s[:], tx.Sender)
		next[i] = read.nonces[s]
		if acc := p.accounts[s]; acc != nil {
			next[i] = max(next[i], acc.next)
		}
	}
	return known, next, read
}

// readNonces puts the committed next nonce of every sender in txs into
// nonces.
func (p *Pool) readNonces(txs []*types.Tx, nonces map[sender]uint64) {
	for _, tx := range txs {
		var s sender
		copy(s[:], tx.Sender)
		if _, ok := nonces[s]; !ok { // a batch holds runs of one sender
			nonces[s] = p.cfg.Nonce(tx.Sender)
		}
	}
}

// committedNonces reads the committed next nonce of every sender in txs,
// outside the lock (they may come from the store), and returns holding
// p.mu with reads no commit has overtaken: a stale nonce for a sender
// whose account a commit emptied and forgot would make a new account start
// below its transactions, never reaped. After a few races with commits it
// reads under the lock rather than starve. The earlier read (screen's,
// which covers every sender of txs) serves if no commit came since.
func (p *Pool) committedNonces(txs []*types.Tx, earlier nonceRead) map[sender]uint64 {
	p.mu.Lock()
	if p.commits.Load() == earlier.gen {
		return earlier.nonces
	}
	p.mu.Unlock()
	nonces := make(map[sender]uint64, len(txs))
	read := func() {
		clear(nonces) // a retry reads every sender again
		p.readNonces(txs, nonces)
	}
	for try := 0; try < 3; try++ {
		gen := p.commits.Load()
		read()
		p.mu.Lock()
		if p.commits.Load() == gen {
			return nonces
		}
		p.mu.Unlock()
	}
	p.mu.Lock()
	read()
	return nonces
}

// HasAll reports, under one lock, which transactions the pool holds.
func (p *Pool) HasAll(txs []*types.Tx) []bool {
	out := make([]bool, len(txs))
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, tx := range txs {
		out[i] = p.byHash[tx.Hash()] != nil
	}
	return out
}

// runEnd returns the first nonce from `from` (at least the sender's next)
// that the pool does not hold: the end of its run of consecutive nonces.
// Callers hold p.mu.
func (p *Pool) runEnd(s sender, from uint64) uint64 {
	acc := p.accounts[s]
	if acc == nil {
		return from
	}
	n := max(from, acc.next)
	if n <= acc.end {
		return acc.end // next..end-1 are all held
	}
	for acc.txs.get(n) != nil {
		n++
	}
	return n
}

// over reports whether the pool holds more than share of its limits.
func (p *Pool) over(share float64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return float64(len(p.byHash)) >= share*float64(p.cfg.MaxTxs) || float64(p.bytes) >= share*float64(p.cfg.MaxBytes)
}

// insert admits one checked transaction, within share of the pool's
// limits: the check before a call only spares the CPU of a batch that
// could not get in, and without this one a single large batch, or several
// at once, would carry clients past their share.
func (p *Pool) insert(tx *types.Tx, committedNext uint64, share float64) error {
	h := tx.Hash()
	if p.byHash[h] != nil {
		return ErrDuplicate
	}
	var s sender
	copy(s[:], tx.Sender)
	acc := p.accounts[s]
	next := committedNext
	if acc != nil {
		next = max(next, acc.next)
	}
	if tx.Nonce < next {
		return fmt.Errorf("nonce %d, next is %d: %w", tx.Nonce, next, ErrStaleNonce)
	}
	if acc != nil && acc.txs.get(tx.Nonce) != nil {
		return fmt.Errorf("nonce %d: %w", tx.Nonce, ErrNonceTaken)
	}
	size := len(tx.Sig) + len(tx.Body) + 64
	maxTxs, maxBytes := p.cfg.MaxTxs, p.cfg.MaxBytes
	if share < 1 {
		maxTxs, maxBytes = int(share*float64(maxTxs)), int(share*float64(maxBytes))
	}
	if len(p.byHash) >= maxTxs || p.bytes+size > maxBytes {
		return fmt.Errorf("%d txs, %d bytes: %w; retry later", len(p.byHash), p.bytes, ErrFull)
	}
	end := next
	if acc != nil {
		end = acc.end
	}
	if tx.Nonce > end && p.parkedFull(size) {
		return fmt.Errorf("nonce %d, sender's next is %d: %d transactions wait behind nonce gaps, the most the pool keeps: %w; submit the missing nonces first",
			tx.Nonce, end, len(p.byHash)-p.runTxs, ErrFull)
	}
	if acc == nil {
		acc = &account{next: next, end: next, txs: window{base: next}}
		p.accounts[s] = acc
		p.order = append(p.order, s)
	}
	// A copy: the decoded one points into its request or frame, which a
	// transaction kept in the pool would keep alive, whatever its size
	// (a 32 MiB upload of refused padding around one parked transaction).
	e := &entry{tx: tx.Clone(), size: size, added: time.Now()}
	acc.txs.set(tx.Nonce, e)
	if tx.Nonce == acc.end {
		p.extendRun(acc)
	}
	p.byHash[h] = e
	p.bytes += size
	return nil
}
