package consensus_test

import (
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/types"
)

// A QC needs only a quorum, and the leader forms it from the first votes
// that make one. On heights that are multiples of StragglerEvery a leader
// whose driver waits (harness.stragglers, as the node does) carries the
// votes that came after the quorum too; on other heights, and with a
// driver that does not wait, QCs hold the first quorum only.
func TestLateVotesJoinSampledQCs(t *testing.T) {
	for _, wait := range []bool{true, false} {
		h := newHarness(t, 1, 1, 1, 1)
		h.stragglers = wait
		h.pumpUntil("height 26 everywhere", h.committedAtLeast(26))
		chain := h.nodes[0].committed
		for _, b := range chain[3:27] {
			want := 3 // FIFO delivery: the leader's own vote and the next two
			if wait && chain[b.Height-1].Height%consensus.StragglerEvery == 0 {
				want = 4
			}
			if got := b.QC.Signers.Count(); got != want {
				t.Errorf("wait %v: block at height %d carries a QC of %d signers for height %d, want %d", wait, b.Height, got, b.Height-1, want)
			}
		}
		for _, n := range h.nodes {
			if st := n.core.Stats(); st.Timeouts != 0 || st.Dropped[consensus.DropBadSignature] != 0 {
				t.Errorf("wait %v: node %d timed out %d times and dropped %d bad signatures", wait, n.idx, st.Timeouts, st.Dropped[consensus.DropBadSignature])
			}
		}
	}
}

// A late vote with a bad signature costs its sender its place in the QC and
// nothing else: the leader proposes with the quorum it had, and the chain
// goes on. Validator 3 is Byzantine: its honest votes are lost, and while a
// leader waits for it, it sends one with a bad signature.
func TestBadLateVoteLeavesTheQC(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 1)
	h.stragglers = true
	h.drop(allOf(from(3), ofKind(types.KindVote)))
	var leader *node
	for leader == nil {
		if !h.step() {
			t.Fatal("the queue ran dry before a leader waited for validator 3")
		}
		for _, n := range h.nodes {
			if n.held != nil && n.idx != 3 {
				leader = n
			}
		}
	}
	p := leader.held
	if got := leader.core.Stragglers(p.Round); len(got) != 1 || got[0] != 3 {
		t.Fatalf("leader %d waits for %v, want [3]", leader.idx, got)
	}
	forged := &types.Vote{Epoch: testEpoch, Round: p.Round - 1, BlockID: p.Parent, Voter: 3, Sig: h.keys[3].Sign([]byte("not this vote"))}
	h.deliver(3, leader.idx, forged)
	if leader.held != nil {
		t.Fatal("the leader still waits after validator 3's vote came")
	}
	h.pumpUntil("height 3 above the wait", h.committedAtLeast(p.Height+3, 0, 1, 2))
	b := h.nodes[0].committed[p.Height]
	if b.QC.BlockID != p.Parent || b.QC.Signers.Count() != 3 || b.QC.Signers.Has(3) {
		t.Fatalf("the proposal after the wait carries a QC for %s signed by %v, want the quorum without 3", b.QC.BlockID.Short(), b.QC.Signers.Indices())
	}
}
