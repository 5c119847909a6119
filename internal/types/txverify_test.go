package types_test

import (
	"crypto/ed25519"
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

func signedTxs(n int) []*types.Tx {
	txs := make([]*types.Tx, n)
	for i := range txs {
		seed := make([]byte, ed25519.SeedSize)
		seed[0], seed[1] = byte(i), byte(i>>8)
		txs[i] = &types.Tx{ChainID: "verify", Nonce: uint64(i), Body: []byte("body")}
		txs[i].Sign(ed25519.NewKeyFromSeed(seed))
	}
	return txs
}

// Every bad signature is found, whatever the batch size and wherever it
// sits, including batches large enough to be searched by halves.
func TestVerifyTxsFindsEveryBadSignature(t *testing.T) {
	cases := []struct {
		size int
		bad  []int
	}{
		{1, nil}, {1, []int{0}},
		{64, []int{63}},
		{65, []int{0, 64}},
		{600, nil},
		{600, []int{0}},
		{600, []int{299, 300}},
		{600, []int{599}},
		{1024, []int{1, 100, 511, 512, 1023}},
		{1500, []int{7, 777, 1499}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d txs, bad %v", c.size, c.bad), func(t *testing.T) {
			txs := signedTxs(c.size)
			want := make([]bool, c.size)
			for i := range want {
				want[i] = true
			}
			for _, i := range c.bad {
				txs[i].Sig[5] ^= 0x40
				want[i] = false
			}
			got := types.VerifyTxs(txs)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("tx %d: valid %v, want %v", i, got[i], want[i])
				}
			}
		})
	}
}

// Malformed senders and signatures are invalid, not a reason to fail
// the rest of the batch.
func TestVerifyTxsMalformed(t *testing.T) {
	txs := signedTxs(200)
	txs[3].Sig = txs[3].Sig[:10]
	txs[150].Sender = txs[150].Sender[:31]
	got := types.VerifyTxs(txs)
	for i, ok := range got {
		if want := i != 3 && i != 150; ok != want {
			t.Fatalf("tx %d: valid %v, want %v", i, ok, want)
		}
	}
}
