package consensus

import (
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

// Retries must reach every other validator, whatever the round: a node
// stuck at the end of an epoch keeps one round, and the peer it asked
// first may be gone. A full node (Self -1) can ask a lone validator.
func TestRetriesVisitEveryPeer(t *testing.T) {
	tests := []struct {
		name  string
		n     int
		self  int
		round uint64
		want  []int // peers asked, in order, over n tries (-1: none)
	}{
		{"round+1 a multiple of n", 4, 1, 3, []int{3, 0, 2, 3}},
		{"self first in rotation", 4, 0, 4, []int{1, 2, 3, 1}},
		{"every round", 4, 2, 5, []int{1, 3, 0, 1}},
		{"full node", 3, -1, 7, []int{1, 2, 0}},
		{"lone validator asks nobody", 1, 0, 9, []int{-1}},
		{"full node of a lone validator", 1, -1, 9, []int{0}},
		{"two validators", 2, 1, 4, []int{0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Core{set: &types.ValidatorSet{Validators: make([]types.Validator, tc.n)}, cfg: Config{Self: tc.self}, round: tc.round}
			var got []int
			p := c.pickPeer(0)
			for range tc.want {
				got = append(got, p)
				p = c.nextPeer(p)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("asked %v, want %v", got, tc.want)
				}
			}
		})
	}
}
