package node

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/types"
)

// gossiper batches transactions submitted to this node and broadcasts
// them, so that every validator has them before it leads a round. One
// frame per batch keeps the per-transaction cost of the network small.
type gossiper struct {
	host *p2p.Host
	log  *slog.Logger

	mu      sync.Mutex
	pending []*types.Tx
	last    time.Time // when the last batch went out
}

const (
	gossipEvery = 2 * time.Millisecond
	gossipMax   = 4000
	// gossipMaxBytes keeps a gossiped batch well inside a frame
	// (p2p.MaxFrame): a frame over it makes the receiver drop the
	// connection, and whatever consensus traffic was queued behind it.
	gossipMaxBytes = 4 << 20
	// maxGossipQueueBytes bounds the gossip frames waiting for admission:
	// 256 frames of up to 17 MiB were 4 GiB.
	maxGossipQueueBytes = 256 << 20
)

func newGossiper(h *p2p.Host, log *slog.Logger) *gossiper { return &gossiper{host: h, log: log} }

// add queues admitted transactions. A full batch goes out at once, and so
// does any when no batch went out for gossipEvery: clients submit in
// batches already, and at low load waiting for the ticker would only add
// up to its period to every transaction's way to the next leader.
func (g *gossiper) add(txs []*types.Tx) {
	g.mu.Lock()
	g.pending = append(g.pending, txs...)
	now := len(g.pending) >= gossipMax || time.Since(g.last) >= gossipEvery
	g.mu.Unlock()
	if now {
		g.flush()
	}
}

func (g *gossiper) flush() {
	g.mu.Lock()
	batch := g.pending
	g.pending = nil
	if len(batch) > 0 {
		g.last = time.Now()
	}
	g.mu.Unlock()
	for len(batch) > 0 {
		k := splitBatch(batch, types.MaxBatchTxs, gossipMaxBytes)
		g.host.Broadcast(p2p.ChanTxs, types.EncodeTxBatch(batch[:k]))
		batch = batch[k:]
	}
}

// splitBatch returns how many of txs (at least one) fit in a batch of at
// most maxTxs transactions and about maxBytes bytes.
func splitBatch(txs []*types.Tx, maxTxs, maxBytes int) int {
	size := 0
	for i, tx := range txs {
		size += tx.EncodedSize()
		if i == maxTxs || (i > 0 && size > maxBytes) {
			return i
		}
	}
	return len(txs)
}

func (g *gossiper) run(ctx context.Context) {
	t := time.NewTicker(gossipEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			g.flush()
		}
	}
}
