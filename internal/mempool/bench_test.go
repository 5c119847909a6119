package mempool_test

import (
	"testing"

	"github.com/lazchain/lazchain/internal/mempool"
	"github.com/lazchain/lazchain/internal/types"
)

// BenchmarkAdd admits 1000-transaction batches of signed transactions from
// 50 senders into a fresh pool per batch, and reports transactions per
// second (dominated by batched signature checks).
func BenchmarkAdd(b *testing.B) {
	const batchSize, senders, batches = 1000, 50, 4
	sets := make([][]*types.Tx, batches)
	for k := range sets {
		for i := 0; i < batchSize; i++ {
			sets[k] = append(sets[k], tx(k*senders+i%senders, uint64(i/senders), "bench payload"))
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; b.Loop(); i++ {
		p := mempool.New(mempool.Config{ChainID: chain})
		for j, err := range p.Add(sets[i%batches]) {
			if err != nil {
				b.Fatalf("tx %d: %v", j, err)
			}
		}
		n += batchSize
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "txs/s")
}
