package state_test

import (
	"errors"
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

// TestReceiptsAcrossRestarts: receipts are found by hash through the
// transaction index, whose entries live in memory until a bulk write. A
// crash loses those entries; the restarted machine rebuilds them from the
// stored blocks and receipt records. A clean restart writes them out.
func TestReceiptsAcrossRestarts(t *testing.T) {
	ok0, ok1 := tx(1, 0, "a"), tx(1, 1, "b")
	bad := forged(tx(2, 0, "c"))
	gap := tx(3, 5, "d")
	want := []struct {
		tx *types.Tx
		r  state.Receipt
	}{
		{ok0, state.Receipt{Height: 1, Index: 0, Code: state.OK}},
		{bad, state.Receipt{Height: 1, Index: 1, Code: state.BadSignature}},
		{gap, noReceipt},
		{ok1, state.Receipt{Height: 3, Index: 1, Code: state.OK}},
	}
	check := func(e *env, when string) {
		t.Helper()
		for _, w := range want {
			if r := e.receipt(w.tx); r != w.r {
				t.Fatalf("%s: receipt %+v, want %+v", when, r, w.r)
			}
		}
	}
	for _, restart := range []struct {
		name string
		do   func(*env)
	}{
		{"crash", (*env).reopen},
		{"clean", (*env).restart},
	} {
		t.Run(restart.name, func(t *testing.T) {
			e := newEnv(t, nil)
			e.apply(block(1, ok0, bad))
			e.apply(block(2))
			e.apply(block(3, gap, ok1))
			check(e, "before the restart")
			restart.do(e)
			check(e, "after the restart")
			// A forged transaction committed again keeps its first receipt.
			if w := e.classify(e.apply(block(4, bad))); len(w.receipts) != 0 {
				t.Fatalf("a second commit of a failed transaction wrote receipts %x", w.receipts)
			}
			check(e, "after a second commit")
			restart.do(e)
			check(e, "after a second restart")
		})
	}
}

// TestIndexAheadOfState: the index is written apart from the state, so a
// crash can leave it holding a block whose state was lost. Executing that
// block again must still give its failed transaction a receipt: an index
// entry at the block's own height is not an earlier receipt.
func TestIndexAheadOfState(t *testing.T) {
	e := newEnv(t, nil)
	e.apply(block(1, tx(1, 0, "a")))
	bad := forged(tx(2, 0, "c"))
	b2 := block(2, bad)
	if err := e.st.Apply(&consensus.Ready{Blocks: []*types.Block{b2}, Committed: []*types.Block{b2}}); err != nil {
		t.Fatal(err)
	}
	e.m.Apply([]*types.Block{b2}) // executed, state never written
	if err := e.m.Close(); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	if h := e.m.Height(); h != 1 {
		t.Fatalf("state at height %d after losing block 2's writes, want 1", h)
	}
	e.apply(b2)
	if r, want := e.receipt(bad), (state.Receipt{Height: 2, Index: 0, Code: state.BadSignature}); r != want {
		t.Fatalf("receipt %+v, want %+v", r, want)
	}
}

// BlockAt keeps the last block it read, so a receipt lookup's confirming
// read and the API's read of the transaction are one decode; other heights
// and unknown ones still come from the store.
func TestBlockAtKeepsTheLastRead(t *testing.T) {
	e := newEnv(t, nil)
	b1, b2 := block(1, tx(1, 0, "a")), block(2, tx(1, 1, "b"))
	e.apply(b1)
	e.apply(b2)
	first, err := e.m.BlockAt(1)
	if err != nil || first.ID() != b1.ID() {
		t.Fatalf("height 1: %v, %v", first, err)
	}
	if again, _ := e.m.BlockAt(1); again != first {
		t.Fatal("a second read of the same height decoded the block again")
	}
	if other, err := e.m.BlockAt(2); err != nil || other.ID() != b2.ID() {
		t.Fatalf("height 2: %v, %v", other, err)
	}
	if _, err := e.m.BlockAt(99); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown height: %v, want ErrNotFound", err)
	}
	if r := e.receipt(tx(1, 1, "b")); r.Height != 2 || r.Code != state.OK {
		t.Fatalf("receipt through the kept block: %+v", r)
	}
}
