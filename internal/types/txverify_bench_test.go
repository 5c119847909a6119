package types_test

import (
	"crypto/ed25519"
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

// BenchmarkVerifyTxs measures per-transaction signature cost by batch size.
func BenchmarkVerifyTxs(b *testing.B) {
	for _, n := range []int{1, 2, 3, 4, 8, 16, 32, 64, 128, 256, 512, 1024} {
		txs := make([]*types.Tx, n)
		for i := range txs {
			seed := make([]byte, ed25519.SeedSize)
			seed[0], seed[1] = byte(i), byte(i>>8)
			txs[i] = &types.Tx{ChainID: "bench", Nonce: uint64(i), Body: make([]byte, 70)}
			txs[i].Sign(ed25519.NewKeyFromSeed(seed))
		}
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			for b.Loop() {
				for _, ok := range types.VerifyTxs(txs) {
					if !ok {
						b.Fatal("valid signature rejected")
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1000, "us/tx")
		})
	}
}
