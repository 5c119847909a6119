package consensus_test

import (
	"crypto/sha256"
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/safety"
	"github.com/lazchain/lazchain/internal/types"
)

// Scenario 7: a core rebuilt from its store (committed block, the blocks
// above it in any order, high QC, high TC) starts in the round after the
// highest certificate it holds: max(HighQC.Round, HighTC.Round) + 1. It
// knows every stored block, and a network restarted that way keeps going.
func TestRecoveryStartsAfterHighestCertificate(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 1)
	type moment struct {
		name  string
		check func(n *node) // what the stores hold at this moment
	}
	recoverAll := func(m moment) {
		t.Run(m.name, func(t *testing.T) {
			for _, n := range h.nodes {
				m.check(n)
				snap := h.snapshot(n)
				store := &safety.MemStorage{} // a copy: the harness's core keeps running
				d, _ := n.safety.Load()
				_ = store.Store(d)
				c := h.newCore(n.idx, store, snap)
				c.Start()
				want := snap.HighQC.Round + 1
				if snap.HighTC != nil {
					want = max(want, snap.HighTC.Round+1)
				}
				r := c.Ready()
				if c.Round() != want || r.Timer == nil || r.Timer.Round != want {
					t.Errorf("node %d recovered into round %d (timer %v), want %d", n.idx, c.Round(), r.Timer, want)
				}
				if c.HighQC() != snap.HighQC || c.Committed() != snap.Committed {
					t.Errorf("node %d recovered high QC %d, committed %d", n.idx, c.HighQC().Round, c.Committed().Height)
				}
				for _, b := range snap.Blocks {
					if c.Block(b.ID()) == nil {
						t.Errorf("node %d lost stored block of round %d", n.idx, b.Round)
					}
				}
			}
		})
	}

	h.pauseAt(6)
	recoverAll(moment{"QCs only", func(n *node) {
		if n.highTC != nil || n.highQC.Round != 5 {
			t.Fatalf("node %d: high QC %d, high TC %v", n.idx, n.highQC.Round, n.highTC)
		}
	}})

	holdProposals := h.drop(ofKind(types.KindProposal))
	h.fireTimers()
	h.pump()
	recoverAll(moment{"TC above the high QC", func(n *node) {
		if n.highTC == nil || n.highTC.Round != 6 || n.highQC.Round != 5 {
			t.Fatalf("node %d: high QC %d, high TC %v", n.idx, n.highQC.Round, n.highTC)
		}
	}})

	holdProposals()
	h.fireTimers()
	h.pumpUntil("two more commits", h.committedAtLeast(h.nodes[0].tip().Height+2))
	recoverAll(moment{"high QC above the TC", func(n *node) {
		if n.highTC == nil || n.highQC.Round <= n.highTC.Round {
			t.Fatalf("node %d: high QC %d, high TC %v", n.idx, n.highQC.Round, n.highTC)
		}
	}})

	// Restart every validator from its store, messages in flight and all:
	// the chain goes on.
	height := h.nodes[0].tip().Height
	for i := range h.nodes {
		h.restart(i)
	}
	h.run("commits after a full restart", 20, h.committedAtLeast(height+3))
}

// Scenario 7b: stored blocks come back in any order, a child before its
// parent included; a chain of certified blocks that never formed a
// two-chain (rounds 2, 4, 6, 8) is rebuilt whole, and nothing commits on
// start.
func TestRecoveryOfUnorderedBlocks(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 1)
	qc := types.GenesisQC(testEpoch, h.genesis.ID())
	var chain []*types.Block
	for i, round := range []uint64{2, 4, 6, 8} {
		b := h.block(round, uint64(i+1), qc)
		chain = append(chain, b)
		qc = h.makeQC(round, b.ID(), 0, 1, 2)
	}
	newestFirst := []*types.Block{chain[3], chain[2], chain[1], chain[0]}
	c := h.newCore(0, &safety.MemStorage{}, consensus.Snapshot{Committed: h.genesis, Blocks: newestFirst, HighQC: qc})
	c.Start()
	if c.Round() != 9 {
		t.Errorf("recovered into round %d, want 9", c.Round())
	}
	for _, b := range chain {
		if c.Block(b.ID()) == nil {
			t.Errorf("block of round %d not recovered", b.Round)
		}
	}
	if r := c.Ready(); len(r.Committed) != 0 || c.Committed() != h.genesis {
		t.Errorf("committed %d blocks on start", len(r.Committed))
	}
}

// Scenario 9: the core is deterministic. The same script (unequal stakes,
// a silent validator, a lagging one, timeouts, fetches) run twice puts the
// same bytes on the wire in the same order.
func TestDeterministicWire(t *testing.T) {
	script := func() ([]envelope, [32]byte) {
		h := newHarness(t, 1, 2, 3, 4)
		h.pumpUntil("height 3", h.committedAtLeast(3))
		heal := h.drop(isolated(0)) // the lightest goes silent; its rounds time out
		h.run("height 8", 30, h.committedAtLeast(8, 1, 2, 3))
		heal()
		r := h.core(2).Round()
		h.drop(allOf(to(1), inRounds(r, r+2))) // then another misses rounds
		h.run("height 16", 30, h.committedAtLeast(16))
		sum := sha256.New()
		for _, e := range h.wire {
			sum.Write([]byte{byte(e.from), byte(e.to)})
			sum.Write(e.data)
		}
		var out [32]byte
		copy(out[:], sum.Sum(nil))
		return h.wire, out
	}
	w1, sum1 := script()
	w2, sum2 := script()
	if sum1 != sum2 || len(w1) != len(w2) {
		t.Fatalf("runs differ: %d messages (%x) vs %d (%x)", len(w1), sum1[:4], len(w2), sum2[:4])
	}
	kinds := map[types.Kind]int{}
	for _, e := range w1 {
		kinds[e.msg.Kind()]++
	}
	for _, k := range []types.Kind{types.KindProposal, types.KindVote, types.KindTimeout, types.KindBlockRequest, types.KindBlockResponse} {
		if kinds[k] == 0 {
			t.Errorf("the script sent no %s; it exercises less than it claims", k)
		}
	}
}
