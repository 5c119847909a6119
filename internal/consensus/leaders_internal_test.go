package consensus

import (
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto/simsig"
	"github.com/lazchain/lazchain/internal/types"
)

func repSet(t *testing.T, stakes ...uint64) *types.ValidatorSet {
	t.Helper()
	reg := simsig.NewRegistry()
	vals := make([]types.Validator, len(stakes))
	for i, s := range stakes {
		vals[i] = types.Validator{PubKey: simsig.NewKey(reg, []byte(fmt.Sprint("rep-", i))).PublicKey(), Stake: s}
	}
	set, err := types.NewValidatorSet("rep-test", 1, reg.Scheme(), vals)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// repChain builds n blocks on the epoch's genesis, block h proposed by
// proposer(h) with a QC signed by signers(h). The QCs are not signed:
// reputation reads only who is in them.
func repChain(set *types.ValidatorSet, n int, proposer func(h uint64) int, signers func(h uint64) []int) []*types.Block {
	parent := types.GenesisBlock(set.ChainID, set.Epoch)
	var out []*types.Block
	for h := uint64(1); h <= uint64(n); h++ {
		bm := types.NewBitmap(set.Len())
		for _, i := range signers(h) {
			bm.Set(i)
		}
		qc := &types.QC{Epoch: set.Epoch, Round: parent.Round, BlockID: parent.ID(), Signers: bm}
		b := types.NewBlock(set.Epoch, h, h, qc, uint32(proposer(h)), nil)
		out = append(out, b)
		parent = b
	}
	return out
}

// A core restarted from its store replays only the committed blocks just
// below its tip, yet must draw every later leader as a core that saw the
// whole epoch does, including when more validators are silent than may be
// demoted and the longest silent are picked.
func TestRestartedReputationAgrees(t *testing.T) {
	type silence struct{ validator, until uint64 } // last height it signed
	tests := []struct {
		name    string
		stakes  []uint64
		silent  []silence
		tip     int
		demoted int
	}{
		{"one crashed", []uint64{1, 1, 1, 1}, []silence{{3, 100}}, 300, 1},
		{"two silent, one may go", []uint64{10, 10, 1, 1}, []silence{{3, 100}, {2, 150}}, 300, 1},
		{"two silent within the horizon", []uint64{10, 10, 1, 1}, []silence{{3, 270}, {2, 280}}, 300, 1},
		{"two of seven", []uint64{5, 5, 5, 5, 5, 1, 1}, []silence{{6, 40}, {5, 60}}, 200, 2},
		{"none", []uint64{1, 1, 1, 1}, nil, 200, 0},
		{"young epoch", []uint64{1, 1, 1, 1}, []silence{{3, 2}}, 25, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := repSet(t, tt.stakes...)
			alive := func(i int, h uint64) bool {
				for _, s := range tt.silent {
					if int(s.validator) == i && h > s.until {
						return false
					}
				}
				return true
			}
			var live []int
			chain := repChain(set, tt.tip, func(h uint64) int {
				live = live[:0]
				for i := range set.Len() {
					if alive(i, h) {
						live = append(live, i)
					}
				}
				return live[int(h)%len(live)]
			}, func(h uint64) []int {
				var s []int
				for i := range set.Len() {
					if alive(i, h) {
						s = append(s, i)
					}
				}
				return s
			})
			full := newReputation(set, 0)
			for _, b := range chain {
				full.observe(b, b.Round)
			}
			tip := chain[len(chain)-1]
			recent := chain[max(0, len(chain)-1-RecentNeeded) : len(chain)-1]
			restarted := seedReputation(set, recent, tip)
			if full.ndemoted != tt.demoted || restarted.ndemoted != tt.demoted {
				t.Fatalf("demoted: full %d, restarted %d, want %d", full.ndemoted, restarted.ndemoted, tt.demoted)
			}
			for r := tip.Round; r < tip.Round+2000; r++ {
				if a, b := restarted.leader(r), full.leader(r); a != b {
					t.Fatalf("round %d: restarted core draws %d, the others %d", r, a, b)
				}
			}
		})
	}
}
