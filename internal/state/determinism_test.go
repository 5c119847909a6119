package state_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

// randomBlocks builds a seeded mix of valid, out-of-order, replayed,
// forged and wrong-chain transactions from four senders.
func randomBlocks(seed uint64, n int) []*types.Block {
	r := rand.New(rand.NewPCG(seed, seed+1))
	next := make([]uint64, 4)
	var seen []*types.Tx
	var out []*types.Block
	for h := 1; h <= n; h++ {
		var txs []*types.Tx
		for k := r.IntN(12); k > 0; k-- {
			s := r.IntN(4)
			var x *types.Tx
			switch p := r.IntN(10); {
			case p < 5:
				x = tx(s, next[s], "ok")
				next[s]++
			case p == 5 && len(seen) > 0:
				x = seen[r.IntN(len(seen))] // replay
			case p == 6:
				x = forged(tx(s, next[s], "forged"))
			case p == 7:
				x = signed("other-chain", s, next[s], "wc")
			default:
				x = tx(s, next[s]+uint64(r.IntN(3)), "maybe")
			}
			seen = append(seen, x)
			txs = append(txs, x)
		}
		out = append(out, block(uint64(h), txs...))
	}
	return out
}

// Two machines over two stores, one trusting a mempool's verdicts and one
// checking every signature, write the same bytes block by block; a third
// that applies everything in one call leaves the store the same (it writes
// each account and the staking record once rather than once per block).
func TestDeterminism(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		blocks := randomBlocks(seed, 40)
		valid := map[types.Hash]bool{}
		for _, b := range blocks {
			for _, x := range b.Txs {
				valid[x.Hash()] = x.VerifySig() == nil
			}
		}
		a := newEnv(t, nil)
		b := newEnv(t, func(txs []*types.Tx) []bool {
			out := make([]bool, len(txs))
			for i, x := range txs {
				out[i] = valid[x.Hash()]
			}
			return out
		})
		var all []store.KV
		for i, blk := range blocks {
			ka, kb := a.apply(blk), b.apply(blk)
			sameKVs(t, "block", ka, kb)
			all = append(all, ka...)
			if i == len(blocks)/2 { // a restart must not change anything
				a.reopen()
			}
		}
		c := newEnv(t, nil)
		one := c.apply(blocks...)
		c.classify(one) // no key twice: each receipt and account written once
		sameState(t, "one call", all, one)

		for s := 0; s < 4; s++ {
			if na, nb, nc := a.m.Nonce(pub(s)), b.m.Nonce(pub(s)), c.m.Nonce(pub(s)); na != nb || na != nc {
				t.Fatalf("seed %d sender %d: nonces %d %d %d", seed, s, na, nb, nc)
			}
		}
		codes := map[state.Code]int{}
		for _, blk := range blocks {
			for _, x := range blk.Txs {
				ra, rb := a.receipt(x), b.receipt(x)
				if ra != rb {
					t.Fatalf("seed %d: receipts differ: %+v vs %+v", seed, ra, rb)
				}
				codes[ra.Code]++
			}
		}
		if len(codes) != 4 { // BadNonce counts the txs that have no receipt
			t.Fatalf("seed %d exercises codes %v, want all four", seed, codes)
		}
	}
}

// A transaction committed past a nonce gap does not execute and gets no
// receipt; once the gap is filled it executes, exactly once, and its
// receipt never changes after that.
func TestGapThenValidExecutesAtMostOnce(t *testing.T) {
	e := newEnv(t, nil)
	t0, t1, t2 := tx(1, 0, "a"), tx(1, 1, "b"), tx(1, 2, "c")
	// Every commit writes the staking record (liveness counts change with
	// each block), so "wrote nothing" means no receipt and no account.
	if w := e.classify(e.apply(block(1, t1))); len(w.receipts)+len(w.accounts) != 0 || e.receipt(t1) != noReceipt {
		t.Fatalf("a tx past a gap wrote receipts %x accounts %x, receipt %+v", w.receipts, w.accounts, e.receipt(t1))
	}
	w := e.classify(e.apply(block(2, t0, t1)))
	if !slices.Equal(w.receipts, hashes(t0, t1)) || !slices.Equal(w.accounts, addrs(1)) {
		t.Fatalf("filling the gap wrote receipts %x accounts %x", w.receipts, w.accounts)
	}
	want := state.Receipt{Height: 2, Index: 1, Code: state.OK}
	if r := e.receipt(t1); r != want || e.m.Nonce(pub(1)) != 2 {
		t.Fatalf("after the gap filled: receipt %+v nonce %d", r, e.m.Nonce(pub(1)))
	}
	if w := e.classify(e.apply(block(3, t1))); len(w.receipts)+len(w.accounts) != 0 || e.receipt(t1) != want {
		t.Fatalf("a third commit wrote receipts %x accounts %x, receipt %+v", w.receipts, w.accounts, e.receipt(t1))
	}
	e.apply(block(4, t2))
	if n := e.m.Nonce(pub(1)); n != 3 {
		t.Fatalf("nonce %d after the next tx", n)
	}
}
