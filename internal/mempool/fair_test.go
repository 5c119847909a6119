package mempool

import (
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

// A sender that arrived first and always has more than a block's worth
// waiting filled every block, and a sender behind it was never proposed.
// Each sender now gets its share of a block first.
func TestBusySenderDoesNotStarveOthers(t *testing.T) {
	committed := map[sender]uint64{}
	p := New(Config{ChainID: "c", MaxTxs: 1 << 20, MaxBytes: 1 << 30,
		Nonce: func(b []byte) uint64 { var s sender; copy(s[:], b); return committed[s] }})
	busy, quiet := make([]byte, 32), make([]byte, 32)
	busy[0], quiet[0] = 1, 2
	mk := func(who []byte, n uint64) *types.Tx {
		return &types.Tx{ChainID: "c", Sender: who, Nonce: n, Body: []byte{byte(n), byte(n >> 8)}}
	}
	next := uint64(0)
	for ; next < 20; next++ { // two blocks' worth
		p.AddVerified([]*types.Tx{mk(busy, next)})
	}
	if errs := p.AddVerified([]*types.Tx{mk(quiet, 0)}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	const maxBlockTxs = 10
	for block := 0; block < 3; block++ {
		txs := p.Reap(maxBlockTxs, 1<<30, nil)
		if len(txs) != maxBlockTxs {
			t.Fatalf("block %d: %d transactions, want a full block of %d", block, len(txs), maxBlockTxs)
		}
		for _, tx := range txs {
			if tx.Sender[0] == 2 {
				return
			}
			var s sender
			copy(s[:], tx.Sender)
			committed[s] = tx.Nonce + 1
		}
		p.Commit(txs)
		for range maxBlockTxs { // the busy sender keeps its backlog
			p.AddVerified([]*types.Tx{mk(busy, next)})
			next++
		}
	}
	t.Fatal("the quiet sender's transaction was not in any of 3 full blocks")
}
