package node

import (
	"sync"

	"github.com/lazchain/lazchain/internal/types"
)

// waiters lets API calls wait until a transaction commits.
type waiters struct {
	mu sync.Mutex
	m  map[types.Hash][]chan uint64
}

func newWaiters() *waiters { return &waiters{m: map[types.Hash][]chan uint64{}} }

// wait returns a channel that receives the height at which h commits, and
// a cancel func that the caller must call if it stops waiting.
func (w *waiters) wait(h types.Hash) (<-chan uint64, func()) {
	ch := make(chan uint64, 1)
	w.mu.Lock()
	w.m[h] = append(w.m[h], ch)
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		list := w.m[h]
		for i, c := range list {
			if c == ch {
				w.m[h] = append(list[:i], list[i+1:]...)
				break
			}
		}
		if len(w.m[h]) == 0 {
			delete(w.m, h)
		}
	}
}

// done wakes every waiter of h.
func (w *waiters) done(h types.Hash, height uint64) {
	w.mu.Lock()
	list := w.m[h]
	delete(w.m, h)
	w.mu.Unlock()
	for _, ch := range list {
		ch <- height
	}
}

// statusBox publishes the driver's view to API goroutines. changed is
// closed and replaced whenever the height moves, so readers can wait for
// a commit without polling.
type statusBox struct {
	mu      sync.RWMutex
	s       Status
	changed chan struct{}
}

// Status is a snapshot of the node's progress.
type Status struct {
	Height uint64
	Tip    types.Hash
	Round  uint64
}

func (b *statusBox) set(h uint64, tip types.Hash, round uint64) {
	b.mu.Lock()
	b.s = Status{Height: h, Tip: tip, Round: max(round, b.s.Round)}
	if b.changed != nil {
		close(b.changed)
	}
	b.changed = make(chan struct{})
	b.mu.Unlock()
}

// watch returns the status and a channel closed at the next height change.
func (b *statusBox) watch() (Status, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.changed == nil {
		b.changed = make(chan struct{})
	}
	return b.s, b.changed
}

func (b *statusBox) setRound(r uint64) {
	b.mu.Lock()
	b.s.Round = r
	b.mu.Unlock()
}

func (b *statusBox) get() Status {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.s
}
