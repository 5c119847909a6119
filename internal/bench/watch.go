package bench

import (
	"context"
	"encoding/hex"
	"sync"
	"time"

	"github.com/lazchain/lazchain/internal/rpc"
	"github.com/lazchain/lazchain/internal/types"
)

// watcher follows committed blocks on one node and records, per
// transaction, the time from submission to the moment it saw the commit.
type watcher struct {
	c *rpc.Client

	mu      sync.Mutex
	sentAt  map[types.Hash]time.Time
	latency []time.Duration
	height  uint64
}

func newWatcher(c *rpc.Client) *watcher {
	return &watcher{c: c, sentAt: map[types.Hash]time.Time{}}
}

func (w *watcher) start(ctx context.Context) error {
	st, err := w.c.Status(ctx)
	if err != nil {
		return err
	}
	w.height = st.Height
	go w.follow(ctx)
	return nil
}

func (w *watcher) submitted(txs []*types.Tx, at time.Time) {
	w.mu.Lock()
	for _, tx := range txs {
		w.sentAt[tx.Hash()] = at
	}
	w.mu.Unlock()
}

// follow polls the tip every few milliseconds and reads each new block.
func (w *watcher) follow(ctx context.Context) {
	for ctx.Err() == nil {
		st, err := w.c.Status(ctx)
		if err != nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		for h := w.height + 1; h <= st.Height; h++ {
			b, err := w.c.Block(ctx, h, false)
			if err != nil {
				break
			}
			w.record(b)
			w.height = h
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (w *watcher) record(b rpc.BlockView) {
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range b.Txs {
		var h types.Hash
		raw, err := hex.DecodeString(s)
		if err != nil || len(raw) != len(h) {
			continue
		}
		copy(h[:], raw)
		if t, ok := w.sentAt[h]; ok {
			w.latency = append(w.latency, now.Sub(t))
			delete(w.sentAt, h)
		}
	}
}

// drain waits until accepted transactions are all seen or limit passes,
// and returns the latencies.
func (w *watcher) drain(ctx context.Context, accepted int, limit time.Duration) []time.Duration {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		w.mu.Lock()
		n := len(w.latency)
		w.mu.Unlock()
		if n >= accepted {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.latency...)
}
