package consensus_test

import (
	"math"
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/types"
)

// A leader that entered round r by TC(r-1) and asked for a payload, then
// learned QC(r-1) for a block it lacked before the payload came back,
// proposes once that block arrives, on a payload asked for again: it used
// to drop the payload and never ask again, so the round timed out.
func TestLeaderAsksAgainWhenItsHighQCMoves(t *testing.T) {
	for _, learn := range []bool{false, true} {
		h := newHarness(t, 1, 1, 1, 1)
		r := h.roundWhere(6, func(r uint64) bool { return h.leader(r) != h.leader(r-1) && h.leader(r-1) != h.leader(r-2) })
		L := h.leader(r)
		// Everyone reaches round r-1; L misses B(r-1); votes of r-1 and later are lost.
		h.drop(allOf(ofKind(types.KindProposal), inRounds(r-1, r-1), to(L)))
		healVotes := h.drop(allOf(ofKind(types.KindVote), inRounds(r-1, math.MaxUint64)))
		h.pump()
		healVotes()
		for _, n := range h.nodes {
			if n.core.Round() != r-1 {
				t.Fatalf("node %d in round %d, want %d", n.idx, n.core.Round(), r-1)
			}
		}
		// QC(r-1) from the votes on the wire (sent, then lost).
		var votes []*types.Vote
		for _, e := range h.sent(allOf(ofKind(types.KindVote), inRounds(r-1, r-1))) {
			votes = append(votes, e.msg.(*types.Vote))
		}
		if len(votes) < 3 {
			t.Fatalf("%d votes for round %d", len(votes), r-1)
		}
		signers := types.NewBitmap(4)
		var sigs [][]byte
		for _, v := range votes[:3] {
			signers.Set(int(v.Voter))
			sigs = append(sigs, v.Sig)
		}
		agg, err := h.set.Scheme.Aggregate(sigs)
		if err != nil {
			t.Fatal(err)
		}
		qc := &types.QC{Epoch: testEpoch, Round: r - 1, BlockID: votes[0].BlockID, Signers: signers, Sig: agg}
		if qc.Verify(h.set, h.genesis.ID()) != nil {
			t.Fatal("qc does not verify")
		}
		// Round r-1 times out everywhere; L is driven by hand.
		lead := h.nodes[L]
		healL := h.drop(to(L))
		h.fireTimers()
		h.pump()
		healL()
		for _, e := range h.sent(allOf(ofKind(types.KindTimeout), to(L))) {
			lead.core.Step(&consensus.Receive{From: e.from, Msg: e.msg})
		}
		lead.core.Step(&consensus.TimerFired{Round: lead.timer.Round})
		rd := lead.core.Ready()
		if lead.core.Round() != r || rd.Payload == nil || rd.Payload.Round != r {
			t.Fatalf("leader in round %d, payload %+v", lead.core.Round(), rd.Payload)
		}
		if learn {
			// QC(r-1) reaches L (here as an EpochProof; a timeout of round r
			// carrying it as its high QC does the same).
			lead.core.Step(&consensus.Receive{From: -1, Msg: &types.EpochProof{QC: qc}})
			_ = lead.core.Ready()
		}
		lead.core.Step(&consensus.PayloadReady{Round: r, Txs: payload(r)})
		if learn {
			// The payload was chosen for the old parent: no proposal yet.
			if p := proposalIn(lead.core.Ready()); p != nil {
				t.Fatalf("proposed on a payload chosen for another parent (block %s)", p.Block.Parent.Short())
			}
			var b *types.Block
			for _, e := range h.sent(allOf(ofKind(types.KindProposal), inRounds(r-1, r-1))) {
				b = e.msg.(*types.Proposal).Block
			}
			lead.core.Step(&consensus.Receive{From: (L + 1) % 4, Msg: &types.BlockResponse{Blocks: []*types.Block{b}}})
			rd = lead.core.Ready()
			if rd.Payload == nil || rd.Payload.Round != r || rd.Payload.Parent != b.ID() {
				t.Fatalf("block of the new high QC arrived: payload request %+v, want one for round %d on %s", rd.Payload, r, b.ID().Short())
			}
			lead.core.Step(&consensus.PayloadReady{Round: r, Txs: payload(r)})
		}
		p := proposalIn(lead.core.Ready())
		if p == nil {
			t.Fatalf("learn=%v: leader %d of round %d did not propose", learn, L, r)
		}
		if p.Block.Parent != h.nodes[L].core.HighQC().BlockID {
			t.Fatalf("proposal extends %s, not the high QC's block", p.Block.Parent.Short())
		}
	}
}

func proposalIn(rd consensus.Ready) *types.Proposal {
	for _, m := range rd.Messages {
		if p, ok := m.Msg.(*types.Proposal); ok {
			return p
		}
	}
	return nil
}
