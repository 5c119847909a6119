package sim

import (
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

// The vote ledger fails a run when an honest validator lets out votes for
// two blocks in one round, whether alone or as its bit in a QC it sends,
// and ignores Byzantine nodes, repeats and other validators' bits.
func TestVotesLeavingCatchesDoubleVotes(t *testing.T) {
	a, b := types.HashOf([]byte("block a")), types.HashOf([]byte("block b"))
	qcBy := func(block types.Hash, signers ...int) *types.QC {
		bm := types.NewBitmap(4)
		for _, i := range signers {
			bm.Set(i)
		}
		return &types.QC{Epoch: 1, Round: 7, BlockID: block, Signers: bm}
	}
	vote := func(block types.Hash) *types.Vote { return &types.Vote{Epoch: 1, Round: 7, BlockID: block, Voter: 2} }
	cases := []struct {
		name      string
		behaviour Behaviour
		msgs      []types.Message
		want      int // violations
	}{
		{"the same vote twice", honest, []types.Message{vote(a), vote(a)}, 0},
		{"two blocks, two votes", honest, []types.Message{vote(a), vote(b)}, 1},
		{"a vote, then an announced QC with our bit for another block", honest,
			[]types.Message{vote(a), &types.Certified{QC: qcBy(b, 0, 1, 2)}}, 1},
		{"an announced QC, then a vote for another block", honest,
			[]types.Message{&types.Certified{QC: qcBy(a, 0, 2, 3)}, vote(b)}, 1},
		{"a QC without our bit", honest, []types.Message{vote(a), &types.Certified{QC: qcBy(b, 0, 1, 3)}}, 0},
		{"a proposal's QC with our bit", honest,
			[]types.Message{vote(a), &types.Proposal{Block: &types.Block{QC: qcBy(b, 1, 2, 3)}}}, 1},
		{"a timeout's high QC with our bit", honest, []types.Message{vote(a), &types.Timeout{HighQC: qcBy(b, 2)}}, 1},
		{"a Byzantine node", DoubleVoter, []types.Message{vote(a), vote(b)}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &simulation{check: newChecker(), votes: map[voteKey]types.Hash{}}
			n := &node{id: 5, index: 2, behaviour: tc.behaviour}
			for _, m := range tc.msgs {
				s.votesLeaving(n, m)
			}
			if got := len(s.check.violations); got != tc.want {
				t.Errorf("%d violations, want %d: %v", got, tc.want, s.check.violations)
			}
		})
	}
}
