package state_test

import (
	"encoding/binary"
	"testing"

	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

// BenchmarkApplyBlock executes and writes one block of 2,000 memo
// transactions from 256 senders, as a node's executor does under load
// (signatures count as checked, as for transactions the pool admitted).
func BenchmarkApplyBlock(b *testing.B) {
	const senders, perBlock = 256, 2000
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	all := func(txs []*types.Tx) []bool {
		ok := make([]bool, len(txs))
		for i := range ok {
			ok[i] = true
		}
		return ok
	}
	m, err := state.New(chain, st, all, testGenesis(b))
	if err != nil {
		b.Fatal(err)
	}
	// The machine's index writer runs beside it: close it before the store.
	defer func() {
		if err := m.Close(); err != nil {
			b.Error(err)
		}
	}()
	nonces := make([]uint64, senders)
	height := uint64(0)
	next := func() *types.Block {
		txs := make([]*types.Tx, perBlock)
		for i := range txs {
			s := i % senders
			sender := make([]byte, 32)
			binary.BigEndian.PutUint64(sender, uint64(s)+1)
			tx := &types.Tx{ChainID: chain, Sender: sender, Nonce: nonces[s], Body: make([]byte, 130), Sig: make([]byte, 64)}
			nonces[s]++
			tx.Seal()
			txs[i] = tx
		}
		height++
		return block(height, txs...)
	}
	apply := func(blk *types.Block) {
		if err := st.WriteState(m.Apply([]*types.Block{blk}), false); err != nil {
			b.Fatal(err)
		}
		m.Flushed()
	}
	for range 10 { // a memtable that already holds some blocks' writes
		apply(next())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		blk := next()
		b.StartTimer()
		apply(blk)
	}
}
