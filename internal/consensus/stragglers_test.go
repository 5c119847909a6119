package consensus_test

import (
	"slices"
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/types"
)

// A QC needs only a quorum, and the leader forms it from the first votes
// that make one: with FIFO delivery the highest-indexed voter's vote comes
// last in most rounds and is in no QC. A leader whose driver waits for
// late votes (harness.stragglers, as the node does) carries it whenever
// the chain has not shown the voter for StragglerAfter committed blocks,
// so no validator goes longer than that (plus the two-block commit lag)
// without a sign of life; without the wait it does.
func TestLateVotesKeepEveryValidatorSeen(t *testing.T) {
	for _, wait := range []bool{true, false} {
		h := newHarness(t, 1, 1, 1, 1)
		h.stragglers = wait
		h.pumpUntil("height 60 everywhere", h.committedAtLeast(60))
		gap := maxUnseen(h.nodes[0].committed[:61], 4)
		if bound := consensus.StragglerAfter + 3; wait && gap > bound || !wait && gap <= bound {
			t.Errorf("wait %v: a validator went %d blocks without a sign of life (bound %d)", wait, gap, bound)
		}
		for _, n := range h.nodes {
			if st := n.core.Stats(); st.Timeouts != 0 || st.Dropped[consensus.DropBadSignature] != 0 {
				t.Errorf("wait %v: node %d timed out %d times and dropped %d bad signatures", wait, n.idx, st.Timeouts, st.Dropped[consensus.DropBadSignature])
			}
		}
	}
}

// maxUnseen is the longest run of blocks in chain (genesis first) that
// show no sign of one of n validators: neither proposed by it nor carrying
// a QC it signed.
func maxUnseen(chain []*types.Block, n int) int {
	last := make([]int, n)
	worst := 0
	for height, b := range chain[1:] {
		for i := range n {
			if int(b.Proposer) == i || b.QC.Signers.Has(i) {
				last[i] = height + 1
			}
			worst = max(worst, height+1-last[i])
		}
	}
	return worst
}

// A late vote with a bad signature costs its sender its place in the QC and
// nobody else theirs: the leader checks the late votes one by one when
// their aggregate fails, proposes with the good ones, and from then on
// checks the sender's late votes alone. Of seven validators, 5 and 6 are
// stragglers (their votes are lost on the way, so the chain stops showing
// them); while a leader waits for them, 5's honest vote arrives, and 6,
// Byzantine, sends one with a bad signature.
func TestBadLateVoteLeavesTheQC(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 1, 1, 1, 1)
	h.stragglers = true
	h.drop(allOf(anyOf(from(5), from(6)), ofKind(types.KindVote)))
	var leader *node
	for leader == nil {
		if !h.step() {
			t.Fatal("the queue ran dry before a leader waited for validators 5 and 6")
		}
		for _, n := range h.nodes {
			if got := n.core.Stragglers(n.heldRound()); n.idx < 5 && slices.Equal(got, []int{5, 6}) {
				leader = n
			}
		}
	}
	p := leader.held
	vote := func(voter uint32, msg []byte) *types.Vote {
		return &types.Vote{Epoch: testEpoch, Round: p.Round - 1, BlockID: p.Parent, Voter: voter, Sig: h.keys[voter].Sign(msg)}
	}
	h.deliver(5, leader.idx, vote(5, types.VoteSigningBytes(testChain, testEpoch, p.Round-1, p.Parent)))
	if leader.held == nil {
		t.Fatal("the leader stopped waiting before validator 6 voted")
	}
	h.deliver(6, leader.idx, vote(6, []byte("not this vote")))
	if leader.held != nil {
		t.Fatal("the leader still waits after validator 6's vote came")
	}
	h.pumpUntil("height 3 above the wait", h.committedAtLeast(p.Height+3, 0, 1, 2, 3, 4))
	b := h.nodes[0].committed[p.Height]
	if b.QC.BlockID != p.Parent || !slices.Equal(b.QC.Signers.Indices(), []int{0, 1, 2, 3, 4, 5}) {
		t.Fatalf("the proposal after the wait carries a QC for %s signed by %v, want all but 6", b.QC.BlockID.Short(), b.QC.Signers.Indices())
	}
	if d := leader.core.Stats().Dropped[consensus.DropBadSignature]; d != 1 {
		t.Fatalf("the leader dropped %d bad signatures, want 1", d)
	}

	// The next time this leader waits for 6, its bad vote is checked alone
	// and dropped at once: the leader goes on waiting for a good one.
	first := p.Round
	for leader.heldRound() <= first || !slices.Equal(leader.core.Stragglers(leader.heldRound()), []int{5, 6}) {
		if !h.step() {
			t.Fatal("the queue ran dry before the leader waited for 5 and 6 again")
		}
	}
	p = leader.held
	h.deliver(6, leader.idx, vote(6, []byte("not this vote either")))
	if leader.held == nil || !slices.Contains(leader.core.Stragglers(p.Round), 6) {
		t.Fatal("the leader took validator 6's second bad vote as a vote")
	}
	if d := leader.core.Stats().Dropped[consensus.DropBadSignature]; d != 2 {
		t.Fatalf("the leader dropped %d bad signatures, want 2", d)
	}
}
