package node

import (
	dto "github.com/prometheus/client_model/go"
	"math"
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

// A climb is answered from the store with the committed blocks from From
// up, newest first; a height of 0 or above the tip, or a count of 0, gets
// nothing, and a count past the cap gets MaxFetchBlocks.
func TestChainBlocksFromTheStore(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	chain := replayChainOf(types.MaxFetchBlocks + 10)
	if err := st.Apply(&consensus.Ready{Blocks: chain, Committed: chain}); err != nil {
		t.Fatal(err)
	}
	tip := uint64(len(chain))
	tests := []struct {
		name        string
		from        uint64
		count       uint32
		first, last uint64 // heights of the newest and oldest block answered; 0: none
	}{
		{"from genesis height", 0, 8, 0, 0},
		{"above the tip", tip + 1, 8, 0, 0},
		{"far above the tip", math.MaxUint64, 8, 0, 0},
		{"count zero", 5, 0, 0, 0},
		{"a run", 5, 8, 12, 5},
		{"past the tip stops there", tip - 2, 8, tip, tip - 2},
		{"the tip alone", tip, 1, tip, tip},
		{"count past the cap", 1, math.MaxUint32, types.MaxFetchBlocks, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := chainBlocks(st.BlockAt, &types.ChainRequest{From: tt.from, Count: tt.count})
			if tt.first == 0 {
				if len(got) != 0 {
					t.Fatalf("answered %d blocks, want none", len(got))
				}
				return
			}
			if len(got) == 0 || got[0].Height != tt.first || got[len(got)-1].Height != tt.last {
				t.Fatalf("answered %d blocks, want heights %d down to %d", len(got), tt.first, tt.last)
			}
			for i, b := range got {
				if want := chain[b.Height-1].ID(); b.ID() != want {
					t.Fatalf("block %d at height %d is not the committed one", i, b.Height)
				}
				if i > 0 && got[i-1].Parent != b.ID() {
					t.Fatalf("answer does not hash-link at height %d", b.Height)
				}
			}
		})
	}
}

// A climb answer ends with its epoch: the next epoch's blocks go in an
// answer of their own.
func TestChainBlocksStayInOneEpoch(t *testing.T) {
	blockAt := func(h uint64) (*types.Block, error) {
		if h == 0 || h > 20 {
			return nil, store.ErrNotFound
		}
		epoch := uint64(1)
		if h > 10 {
			epoch = 2
		}
		return &types.Block{Height: h, Epoch: epoch}, nil
	}
	tests := []struct {
		name        string
		from        uint64
		first, last uint64
	}{
		{"up to the epoch's end", 8, 10, 8},
		{"the epoch's last block alone", 10, 10, 10},
		{"from the next epoch's first", 11, 18, 11},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := chainBlocks(blockAt, &types.ChainRequest{From: tt.from, Count: 8})
			if len(got) == 0 || got[0].Height != tt.first || got[len(got)-1].Height != tt.last {
				t.Fatalf("answered %d blocks, want heights %d down to %d", len(got), tt.first, tt.last)
			}
		})
	}
}

// The gossip queue is shared: each of the epoch's validators and
// configured peers has a quarter of its frames, all other peers one
// quarter between them (fresh keys on an open network cost nothing),
// the frames it holds are bounded in bytes, and a frame larger than an
// honest batch is refused.
func TestGossipQueueSharedAmongPeers(t *testing.T) {
	n := &Node{metrics: newMetrics(), txq: make(chan gossiped, 256),
		txqShare: queueShares{n: map[p2p.NodeID]int{}, max: 64, maxBytes: 100 << 10}}
	var flooder, other p2p.NodeID
	flooder[0], other[0] = 1, 2
	v := testView(t, 1, 1, 1, 1)
	v.byNode = map[p2p.NodeID]int{flooder: 1, other: 2}
	n.cur.Store(v)
	for range 200 {
		n.onFrame(flooder, chanTxs, []byte("batch"))
	}
	if len(n.txq) != 64 {
		t.Fatalf("flooder queued %d batches, want its share of 64", len(n.txq))
	}
	n.onFrame(other, chanTxs, []byte("batch"))
	if len(n.txq) != 65 {
		t.Fatal("another peer's batch was refused")
	}
	// Taken by the worker, a batch frees its sender's share.
	n.takeQueued(<-n.txq)
	n.onFrame(flooder, chanTxs, []byte("batch"))
	if len(n.txq) != 1 {
		t.Fatalf("%d queued after the worker took all and the flooder sent one", len(n.txq))
	}
	// Outsiders, however many keys, share one quarter.
	for i := range 200 {
		var stranger p2p.NodeID
		stranger[0], stranger[1] = 9, byte(i)
		n.onFrame(stranger, chanTxs, []byte("batch"))
	}
	if len(n.txq) != 1+64 {
		t.Fatalf("%d queued after 200 outsiders sent a batch each, want 64 more", len(n.txq))
	}
	// Bytes: the bound holds whoever sends.
	n.onFrame(other, chanTxs, make([]byte, 100<<10))
	if len(n.txq) != 1+64 {
		t.Fatal("a frame past the queue's byte bound was queued")
	}
	// A frame larger than any honest batch is refused outright.
	tooLarge := func() float64 {
		var m dto.Metric
		n.metrics.rejected.WithLabelValues("tx_gossip_too_large").Write(&m)
		return m.GetCounter().GetValue()
	}
	before := tooLarge()
	n.onFrame(other, chanTxs, make([]byte, maxGossipFrame+1))
	if got := tooLarge(); got != before+1 {
		t.Fatal("an oversized gossip frame was not refused as too large")
	}
}

// Messages of an epoch the driver has entered, kept in the early box by a
// reader that read the old view, reach the driver: nobody else would take
// them until the next epoch.
func TestEarlyBoxReplayedAfterTheSwitch(t *testing.T) {
	v := testView(t, 1, 1, 1, 1)
	var member, stranger p2p.NodeID
	member[0], stranger[0] = 7, 8
	v.byNode = map[p2p.NodeID]int{member: 2}
	n := &Node{inbox: make(chan inbound, 8), done: make(chan struct{})}
	n.early.keep(member, true, &types.Vote{Epoch: v.epoch.Number, Round: 1}, 100)
	n.early.keep(stranger, false, &types.Vote{Epoch: v.epoch.Number, Round: 1}, 100)
	n.early.keep(member, true, &types.Vote{Epoch: v.epoch.Number + 1, Round: 1}, 100)
	n.replayEarly(v)
	if len(n.inbox) != 1 {
		t.Fatalf("%d messages reached the driver, want the member's one of this epoch", len(n.inbox))
	}
	if in := <-n.inbox; in.from != 2 {
		t.Fatalf("delivered as from %d, want the member's index 2", in.from)
	}
}
