package consensus_test

import (
	"math"
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/types"
)

// With execution tracking, proposals vouch for a committed height's
// result; cores keep committing, and a validator whose own execution
// disagrees with a proposal's result refuses to vote for it.
func TestProposalsVouchForExecution(t *testing.T) {
	h := newHarnessWith(t, true, 1, 1, 1, 1)
	h.pumpUntil("height 6 everywhere", h.committedAtLeast(6, h.all()...))
	var vouched uint64
	for _, b := range h.nodes[0].committed {
		if b.State.Height > vouched {
			vouched = b.State.Height
		}
	}
	if vouched == 0 {
		t.Fatal("no committed block vouches for an execution result")
	}
	// Proposals vouch for a height voters executed a round earlier, so on
	// the happy path no vote waits for execution.
	for _, i := range h.all() {
		if w := h.core(i).Stats().ExecWaits; w != 0 {
			t.Errorf("validator %d parked %d votes waiting for execution on the happy path", i, w)
		}
	}

	r := h.roundWhere(h.core(0).Round()+1, func(r uint64) bool { return h.leader(r) != h.leader(r+1) })
	heal := h.drop(allOf(ofKind(types.KindProposal), inRounds(r, math.MaxUint64)))
	h.run("reach the round", 20, func() bool {
		for _, i := range h.all() {
			if h.core(i).Round() < r {
				return false
			}
		}
		return true
	})
	heal()
	lead := h.leader(r)
	honest := h.blockAt(lead, r)
	if honest == nil || honest.State.IsZero() {
		t.Fatalf("leader of round %d built no block with a result", r)
	}
	wrong := honest.State
	wrong.Root[0] ^= 1
	forged := types.NewBlockWithState(honest.Epoch, honest.Round, honest.Height, honest.QC, honest.Proposer, wrong, honest.Txs)
	// Neither is the next leader, whose vote would stay inside its core.
	rest := h.othersThan(lead, h.leader(r+1))
	voter, other := rest[0], rest[1]
	before := h.drops(voter, consensus.DropBadState)
	h.deliver(lead, voter, h.signProposal(forged, nil))
	if got := h.drops(voter, consensus.DropBadState); got != before+1 {
		t.Fatalf("validator %d counted %d bad-state drops, want %d", voter, got, before+1)
	}
	if v := h.sent(allOf(from(voter), ofKind(types.KindVote), inRounds(r, r))); len(v) != 0 {
		t.Fatalf("validator %d voted for a block with a wrong result", voter)
	}
	h.deliver(lead, other, h.signProposal(honest, nil))
	if v := h.sent(allOf(from(other), ofKind(types.KindVote), inRounds(r, r))); len(v) != 1 {
		t.Fatalf("validator %d sent %d votes for the honest block, want 1", other, len(v))
	}
}
