package consensus_test

import (
	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/types"
)

// Hand-made messages, signed directly with validators' keys. They bypass the
// safety rules on purpose: scenarios use them to play a Byzantine or buggy
// peer, or to feed one core exactly the votes a test needs.

func (h *harness) signVote(voter int, round uint64, id types.Hash) *types.Vote {
	sig := h.keys[voter].Sign(types.VoteSigningBytes(testChain, testEpoch, round, id))
	return &types.Vote{Epoch: testEpoch, Round: round, BlockID: id, Voter: uint32(voter), Sig: sig}
}

// signProposal signs b with its proposer's key.
func (h *harness) signProposal(b *types.Block, tc *types.TC) *types.Proposal {
	sig := h.keys[b.Proposer].Sign(types.ProposalSigningBytes(testChain, b.Epoch, b.Round, b.ID()))
	return &types.Proposal{Block: b, TC: tc, Sig: sig}
}

func (h *harness) signTimeout(voter int, round uint64, hqc *types.QC, tc *types.TC) *types.Timeout {
	sig := h.keys[voter].Sign(types.TimeoutSigningBytes(testChain, testEpoch, round, hqc.Round))
	return &types.Timeout{Epoch: testEpoch, Round: round, HighQC: hqc, LastTC: tc, Voter: uint32(voter), Sig: sig}
}

// makeQC aggregates the signers' votes for (round, id), whatever their stake.
func (h *harness) makeQC(round uint64, id types.Hash, signers ...int) *types.QC {
	bm := types.NewBitmap(h.set.Len())
	var sigs [][]byte
	for _, i := range signers {
		bm.Set(i)
		sigs = append(sigs, h.signVote(i, round, id).Sig)
	}
	agg, err := h.set.Scheme.Aggregate(sigs)
	if err != nil {
		h.t.Fatalf("aggregate: %v", err)
	}
	return &types.QC{Epoch: testEpoch, Round: round, BlockID: id, Signers: bm, Sig: agg}
}

// block builds a block on top of qc's block, proposed by the round's leader.
func (h *harness) block(round, height uint64, qc *types.QC) *types.Block {
	return types.NewBlock(testEpoch, round, height, qc, uint32(h.leader(round)), payload(round+1000))
}

// corrupt returns a copy of sig with one bit flipped.
func corrupt(sig []byte) []byte {
	out := append([]byte(nil), sig...)
	out[0] ^= 1
	return out
}

// othersThan lists the validators not in skip, in index order.
func (h *harness) othersThan(skip ...int) []int {
	var out []int
	for i := range h.nodes {
		if !contains(skip, i) {
			out = append(out, i)
		}
	}
	return out
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// drops returns how many messages core i dropped for reason d.
func (h *harness) drops(i int, d consensus.Drop) uint64 { return h.core(i).Stats().Dropped[d] }

// coreState is what an ignored message must leave untouched.
type coreState struct {
	round     uint64
	highQC    *types.QC
	committed types.Hash
}

func stateOf(c *consensus.Core) coreState {
	return coreState{round: c.Round(), highQC: c.HighQC(), committed: c.Committed().ID()}
}

// blockAt returns the block of the given round that node i stored.
func (h *harness) blockAt(i int, round uint64) *types.Block {
	for _, b := range h.nodes[i].stored {
		if b.Round == round {
			return b
		}
	}
	h.t.Fatalf("node %d stored no block of round %d", i, round)
	return nil
}
