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
		{2, []int{1}}, {2, []int{0, 1}},
		{3, []int{1}},
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
		// Workers 0 means VerifyTxs (one per P); a node checks on fewer.
		for _, workers := range []int{0, 1, 3} {
			t.Run(fmt.Sprintf("%d txs, bad %v, workers %d", c.size, c.bad, workers), func(t *testing.T) {
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
				if workers > 0 {
					got = types.VerifyTxsOn(txs, workers)
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("tx %d: valid %v, want %v", i, got[i], want[i])
					}
				}
			})
		}
	}
}

// Malformed senders and signatures are invalid, not a reason to fail
// the rest of the batch, whether it is checked as a batch or one by one.
func TestVerifyTxsMalformed(t *testing.T) {
	for _, n := range []int{1, 2, 200} {
		t.Run(fmt.Sprintf("%d txs", n), func(t *testing.T) {
			txs := signedTxs(n)
			badSig, badSender := 0, n-1
			txs[badSig].Sig = txs[badSig].Sig[:10]
			txs[badSender].Sender = txs[badSender].Sender[:31]
			got := types.VerifyTxs(txs)
			for i, ok := range got {
				if want := i != badSig && i != badSender; ok != want {
					t.Fatalf("tx %d: valid %v, want %v", i, ok, want)
				}
			}
		})
	}
	// A sender that is no valid key fails when checked alone too.
	tx := signedTxs(1)[0]
	tx.Sender = make([]byte, ed25519.PublicKeySize)
	for i := range tx.Sender {
		tx.Sender[i] = 0xff
	}
	if types.VerifyTxs([]*types.Tx{tx})[0] {
		t.Fatal("a sender off the curve verified")
	}
}
