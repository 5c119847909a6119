package node

import (
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

// A proposal skips, per sender, what its uncommitted ancestors carry, but
// only the run of consecutive nonces from the committed one: a forged
// transaction far ahead (which will not execute) does not push the
// sender's real next transactions out of proposals.
func TestCarriedNonces(t *testing.T) {
	alice, bob := []byte("alice-alice-alice-alice-alice-32"), []byte("bob-bob-bob-bob-bob-bob-bob-b-32")
	txAt := func(sender []byte, nonce uint64) *types.Tx { return &types.Tx{Sender: sender, Nonce: nonce} }
	blockOf := func(txs ...*types.Tx) *types.Block { return &types.Block{Txs: txs} }
	committed := func(sender []byte) uint64 {
		if string(sender) == string(alice) {
			return 5
		}
		return 0
	}
	cases := []struct {
		name   string
		blocks []*types.Block // newest first, as the walk from the parent finds them
		alice  uint64         // 0: alice absent
	}{
		{"a run across blocks", []*types.Block{blockOf(txAt(alice, 7)), blockOf(txAt(alice, 5), txAt(alice, 6))}, 8},
		{"a forged nonce far ahead", []*types.Block{blockOf(txAt(alice, 100))}, 5},
		{"the run, then a forged one", []*types.Block{blockOf(txAt(alice, 5), txAt(alice, 900), txAt(alice, 6))}, 7},
		{"already executed, pool not told yet", []*types.Block{blockOf(txAt(alice, 3), txAt(alice, 4))}, 5},
		{"one nonce twice", []*types.Block{blockOf(txAt(alice, 5)), blockOf(txAt(alice, 5))}, 6},
		{"not carried", []*types.Block{blockOf(txAt(bob, 0))}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := carriedNonces(c.blocks, committed)
			var a [32]byte
			copy(a[:], alice)
			v, ok := got[a]
			if c.alice == 0 {
				if ok {
					t.Fatalf("alice carried to %d, want absent", v)
				}
				return
			}
			if v != c.alice {
				t.Fatalf("alice carried to %d, want %d", v, c.alice)
			}
		})
	}
}
