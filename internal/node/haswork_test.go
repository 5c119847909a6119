package node

import (
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

// chainOf builds blocks at heights 1.. with the given rounds, each on the
// one before, and returns them with a lookup by id.
func chainOf(rounds ...uint64) ([]*types.Block, func(types.Hash) *types.Block) {
	byID := map[types.Hash]*types.Block{}
	parent, parentRound := types.GenesisBlock("haswork-test", 1), uint64(0)
	byID[parent.ID()] = parent
	var out []*types.Block
	for i, r := range rounds {
		qc := &types.QC{Epoch: 1, Round: parentRound, BlockID: parent.ID()}
		b := types.NewBlock(1, r, uint64(i+1), qc, 0, nil)
		byID[b.ID()] = b
		out = append(out, b)
		parent, parentRound = b, r
	}
	return out, func(id types.Hash) *types.Block { return byID[id] }
}

// What the QCs in proposals told other validators: a proposal's QC
// certifies its parent, and commits the grandparent only when the parent's
// own QC is of the round just before it.
func TestAnnouncedCommit(t *testing.T) {
	cases := []struct {
		name   string
		rounds []uint64
		want   uint64 // for a proposal on the last block
	}{
		{"consecutive rounds", []uint64{1, 2, 3, 4, 5}, 3},
		{"a timeout before the last block", []uint64{1, 2, 3, 5}, 2}, // block 4's proposal still committed block 2
		{"a timeout before the last two", []uint64{1, 2, 4, 5}, 1},
		{"only a timeout-broken chain", []uint64{2, 4, 6}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			blocks, lookup := chainOf(c.rounds...)
			if got := announcedCommit(lookup, blocks[len(blocks)-1]); got != c.want {
				t.Fatalf("announced commit %d, want %d", got, c.want)
			}
		})
	}
}
