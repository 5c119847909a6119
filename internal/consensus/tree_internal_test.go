package consensus

import (
	"math"
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

// Committed blocks leave memory once they are keep below the committed
// head, except those above the floor (committed but not yet executed),
// which the driver still walks to know what its mempool holds.
func TestTreeKeepsUnexecutedBlocks(t *testing.T) {
	cases := []struct {
		name       string
		keep       int
		floor      uint64
		wantLowest uint64 // lowest committed height still in memory
	}{
		{"no floor: the window only", 4, math.MaxUint64, 17},
		{"executed past the window", 4, 18, 17},
		{"execution behind the window", 4, 9, 10},
		{"execution at genesis keeps everything", 4, 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := types.GenesisBlock("lazchain-test", 1)
			tr := newTree(g)
			chain := []*types.Block{}
			parent := g
			for h := uint64(1); h <= 20; h++ {
				b := types.NewBlock(1, h, h, &types.QC{Epoch: 1, Round: h - 1, BlockID: parent.ID()}, 0, nil)
				if !tr.add(b) {
					t.Fatalf("block %d not added", h)
				}
				chain = append(chain, b)
				parent = b
			}
			tr.commit(chain, tc.keep, tc.floor)
			for _, b := range chain {
				if got, want := tr.has(b.ID()), b.Height >= tc.wantLowest; got != want {
					t.Errorf("height %d in memory: %v, want %v", b.Height, got, want)
				}
			}
		})
	}
}
