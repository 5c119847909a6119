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

// BenchmarkAddBehindBacklog admits batches of 100 already-checked
// transactions from 4 senders that each have thousands waiting, as a
// validator does under load when blocks lag: the cost must not grow with
// the backlog.
func BenchmarkAddBehindBacklog(b *testing.B) {
	const senders, backlog, batch = 4, 5000, 100
	var txs []*types.Tx
	for n := 0; n < backlog+b.N*batch/senders+batch; n++ {
		for s := 0; s < senders; s++ {
			t := &types.Tx{ChainID: chain, Sender: make([]byte, 32), Nonce: uint64(n), Body: []byte("backlog")}
			t.Sender[0] = byte(s + 1)
			txs = append(txs, t)
		}
	}
	p := mempool.New(mempool.Config{ChainID: chain, MaxTxs: 1 << 30, MaxBytes: 1 << 40})
	p.AddVerified(txs[:backlog*senders])
	next := backlog * senders
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N { // b.N, not b.Loop: the transactions are sized by it up front
		for _, err := range p.AddVerified(txs[next : next+batch]) {
			if err != nil {
				b.Fatal(err)
			}
		}
		next += batch
	}
}

// BenchmarkChurn is a loaded validator's steady state: 256 senders, each
// with about 20 transactions waiting, batches of 100 admitted and blocks
// of 100 committed in turn, so every sender's nonces slide forward.
func BenchmarkChurn(b *testing.B) {
	const senders, depth, batch = 256, 20, 100
	total := senders*depth + (b.N+1)*batch
	txs := make([]*types.Tx, 0, total)
	for n := 0; len(txs) < total; n++ {
		for s := 0; s < senders && len(txs) < total; s++ {
			t := &types.Tx{ChainID: chain, Sender: make([]byte, 32), Nonce: uint64(n), Body: []byte("churn")}
			t.Sender[0], t.Sender[1] = byte(s), byte(s>>8)
			txs = append(txs, t)
		}
	}
	state := map[string]uint64{} // committed nonces, as execution leaves them
	p := mempool.New(mempool.Config{ChainID: chain, MaxTxs: 1 << 30, MaxBytes: 1 << 40,
		Nonce: func(s []byte) uint64 { return state[string(s)] }})
	p.AddVerified(txs[:senders*depth])
	added, committed := senders*depth, 0
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N { // b.N, not b.Loop: the transactions are sized by it up front
		for _, err := range p.AddVerified(txs[added : added+batch]) {
			if err != nil {
				b.Fatal(err)
			}
		}
		added += batch
		block := txs[committed : committed+batch]
		for _, t := range block {
			state[string(t.Sender)] = t.Nonce + 1
		}
		p.Commit(block)
		committed += batch
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/tx")
}
