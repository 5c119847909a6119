// Package sigbatch merges concurrent requests to check transaction
// signatures into large batches. Batch verification of ed25519 costs
// about 140 µs a signature alone, 28 µs in a batch of 16 and 13 µs in a
// batch of 1,024 on the reference machine; under load a validator gets
// signatures in many small lots (a client's HTTP request, a peer's gossip
// batch), so checking each lot alone would spend twice the CPU it needs.
//
// The Batcher is a group commit for signature checks: a worker goroutine
// takes the first waiting request and every other request queued behind
// it, up to a limit, and checks them in one call. A busy node builds
// larger batches exactly when the CPU is short. An idle, lightly loaded
// one (nothing queued, a worker's slot free) checks a request at once on
// the caller's goroutine, so batching adds no latency and no switch of
// threads. The workers are long-lived so that the caller can prepare each
// one's thread once (the node marks them as bulk work for the kernel's
// scheduler): at low load checks run on the callers' threads, under load
// mostly on the workers'.
package sigbatch

import (
	"sync"
	"sync/atomic"

	"github.com/lazchain/lazchain/internal/types"
)

// Batcher checks signatures for any number of goroutines.
type Batcher struct {
	verify func([]*types.Tx) []bool
	max    int
	light  func() bool
	reqs   chan *request
	quit   chan struct{}
	once   sync.Once
	// slots bounds the checks in progress, the workers' and the callers'
	// own, to the number of workers.
	slots chan struct{}
	// pending counts requests queued or taken by a worker and not yet
	// checked: while any is, a caller queues rather than jump ahead. After
	// Close it is no longer kept (callers then check their own).
	pending atomic.Int64
	// Transactions checked on callers' goroutines and on workers'.
	onCaller, onWorker atomic.Uint64
}

// Checked returns how many transactions were checked on their callers'
// goroutines (the batcher idle, the node lightly loaded) and how many on
// the workers'.
func (b *Batcher) Checked() (onCaller, onWorker uint64) {
	return b.onCaller.Load(), b.onWorker.Load()
}

type request struct {
	txs  []*types.Tx
	ok   []bool
	done chan struct{}
}

// Config of a Batcher.
type Config struct {
	// Verify checks signatures (types.VerifyTxsOn in the node).
	Verify func([]*types.Tx) []bool
	// Limit is the most transactions in one call of Verify.
	Limit int
	// Workers is how many goroutines check at once (at least one).
	Workers int
	// Start, if set, runs first on each worker.
	Start func()
	// Light, if set, says whether the node is lightly loaded: an idle
	// batcher checks on the caller only then, and under load leaves even a
	// lone request to a worker, which gathers what queues meanwhile.
	Light func() bool
}

// New starts a batcher.
func New(c Config) *Batcher {
	workers := max(1, c.Workers)
	b := &Batcher{verify: c.Verify, max: c.Limit, light: c.Light, reqs: make(chan *request, 1024), quit: make(chan struct{}),
		slots: make(chan struct{}, workers)}
	for range workers {
		go b.run(c.Start)
	}
	return b
}

// Verify reports, for each transaction, whether its signature is valid.
// It returns once the batch holding txs has been checked. After Close it
// checks txs on the caller.
func (b *Batcher) Verify(txs []*types.Tx) []bool {
	if len(txs) == 0 {
		return nil
	}
	if b.pending.Load() == 0 && (b.light == nil || b.light()) {
		select {
		case b.slots <- struct{}{}:
			ok := b.verify(txs)
			<-b.slots
			b.onCaller.Add(uint64(len(txs)))
			return ok
		default:
		}
	}
	b.pending.Add(1)
	r := &request{txs: txs, done: make(chan struct{})}
	select {
	case b.reqs <- r:
	case <-b.quit:
		return b.verify(txs)
	}
	select {
	case <-r.done:
		return r.ok
	case <-b.quit:
		// Closed while waiting: the loop may have stopped before taking r.
		select {
		case <-r.done:
			return r.ok
		default:
			return b.verify(txs)
		}
	}
}

// Close stops the workers. Requests in flight are checked by their
// callers.
func (b *Batcher) Close() { b.once.Do(func() { close(b.quit) }) }

func (b *Batcher) run(start func()) {
	if start != nil {
		start()
	}
	for {
		select {
		case <-b.quit:
			return
		case r := <-b.reqs:
			select {
			case b.slots <- struct{}{}:
			case <-b.quit:
				return // r's caller checks it itself
			}
			group := b.gather(r)
			n := b.check(group)
			<-b.slots
			b.onWorker.Add(uint64(n))
			b.pending.Add(-int64(len(group)))
		}
	}
}

// gather returns r and the requests queued behind it, up to max
// transactions in all (a single larger request goes alone).
func (b *Batcher) gather(r *request) []*request {
	group := []*request{r}
	n := len(r.txs)
	for n < b.max {
		select {
		case next := <-b.reqs:
			group = append(group, next)
			n += len(next.txs)
		default:
			return group
		}
	}
	return group
}

// check checks a group in one call of verify and returns how many
// transactions it held.
func (b *Batcher) check(group []*request) int {
	if len(group) == 1 {
		r := group[0]
		r.ok = b.verify(r.txs)
		close(r.done)
		return len(r.txs)
	}
	var all []*types.Tx
	for _, r := range group {
		all = append(all, r.txs...)
	}
	ok := b.verify(all)
	for _, r := range group {
		r.ok, ok = ok[:len(r.txs):len(r.txs)], ok[len(r.txs):]
		close(r.done)
	}
	return len(all)
}
