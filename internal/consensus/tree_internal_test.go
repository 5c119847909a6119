package consensus

import (
	"math"
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

// Committed blocks leave memory once they are keep below the committed
// head, except those above the floor (committed but not yet executed),
// which the driver still walks to know what its mempool holds. A later
// commit with a higher floor prunes what the earlier one had to keep.
func TestTreeKeepsUnexecutedBlocks(t *testing.T) {
	cases := []struct {
		name          string
		keep          int
		floor, floor2 uint64 // at the first commit (height 20) and the second (24)
		lowest        uint64 // lowest height in memory after the first commit
		lowest2       uint64 // and after the second
	}{
		{"no floor: the window only", 4, math.MaxUint64, math.MaxUint64, 17, 21},
		{"executed past the window", 4, 18, 23, 17, 21},
		{"execution behind the window, then caught up", 4, 9, 24, 10, 21},
		{"execution still behind at the second commit", 4, 9, 12, 10, 13},
		{"nothing executed: only genesis goes", 4, 0, 0, 1, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := types.GenesisBlock("lazchain-test", 1)
			tr := newTree(g)
			all := []*types.Block{g}
			parent := g
			for h := uint64(1); h <= 24; h++ {
				b := types.NewBlock(1, h, h, &types.QC{Epoch: 1, Round: h - 1, BlockID: parent.ID()}, 0, nil)
				if !tr.add(b) {
					t.Fatalf("block %d not added", h)
				}
				all = append(all, b)
				parent = b
			}
			check := func(when string, lowest uint64) {
				t.Helper()
				for _, b := range all {
					want := b.Height >= lowest
					if got := tr.has(b.ID()); got != want {
						t.Errorf("%s: height %d in memory: %v, want %v", when, b.Height, got, want)
					}
				}
			}
			tr.commit(all[1:21], tc.keep, tc.floor)
			check("after committing height 20", tc.lowest)
			tr.commit(all[21:25], tc.keep, tc.floor2)
			check("after committing height 24", tc.lowest2)
		})
	}
}
