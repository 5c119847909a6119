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
	sent    []time.Time // sent[i] is when the transaction of latency[i] went out
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
		// A resent transaction's latency runs from its first offer, as a
		// client retrying would see it.
		if _, ok := w.sentAt[tx.Hash()]; !ok {
			w.sentAt[tx.Hash()] = at
		}
	}
	w.mu.Unlock()
}

// follow asks for each next block with a long poll, so it sees a commit
// as soon as the node reports it, without polling delay.
func (w *watcher) follow(ctx context.Context) {
	for ctx.Err() == nil {
		b, err := w.c.WaitBlock(ctx, w.height+1, 5*time.Second)
		if err != nil {
			if ctx.Err() == nil {
				time.Sleep(20 * time.Millisecond)
			}
			continue
		}
		w.record(b)
		w.height++
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
			w.sent = append(w.sent, t)
			delete(w.sentAt, h)
		}
	}
}

// drain waits until accepted transactions are all seen or limit passes,
// and returns the latencies with when each transaction was sent.
func (w *watcher) drain(ctx context.Context, accepted int, limit time.Duration) ([]time.Duration, []time.Time) {
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
	return append([]time.Duration(nil), w.latency...), append([]time.Time(nil), w.sent...)
}
