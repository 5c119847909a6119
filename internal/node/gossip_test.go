package node

import (
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

// A gossiped batch stays under both bounds, so that no frame reaches the
// p2p limit however large the clients' transactions are.
func TestSplitBatch(t *testing.T) {
	tx := func(body int) *types.Tx {
		return &types.Tx{ChainID: "t", Sender: make([]byte, 32), Sig: make([]byte, 64), Body: make([]byte, body)}
	}
	big, small := tx(60<<10), tx(100)
	repeat := func(x *types.Tx, n int) []*types.Tx {
		out := make([]*types.Tx, n)
		for i := range out {
			out[i] = x
		}
		return out
	}
	cases := []struct {
		name            string
		txs             []*types.Tx
		maxTxs, maxByte int
		want            int
	}{
		{"all fit", repeat(small, 10), 100, 1 << 20, 10},
		{"count binds", repeat(small, 10), 4, 1 << 20, 4},
		{"bytes bind", repeat(big, 300), 20000, 4 << 20, (4 << 20) / big.EncodedSize()},
		{"one over the bytes still goes", repeat(big, 3), 100, 1000, 1},
		{"exactly the count", repeat(small, 5), 5, 1 << 20, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := splitBatch(c.txs, c.maxTxs, c.maxByte)
			if got != c.want {
				t.Fatalf("split at %d, want %d", got, c.want)
			}
			if n := len(types.EncodeTxBatch(c.txs[:got])); got > 1 && n > c.maxByte+5 {
				t.Fatalf("batch of %d bytes over the bound %d", n, c.maxByte)
			}
		})
	}
}
