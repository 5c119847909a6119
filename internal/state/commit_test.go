package state_test

import (
	"strings"
	"testing"

	"github.com/lazchain/lazchain/internal/smt"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

// Every executed block yields a result whose root commits to the state:
// two machines that execute the same blocks agree on every root, one that
// restarted in between included, and the roots prove account values.
func TestResultsCommitToState(t *testing.T) {
	a, b := newEnv(t, nil), newEnv(t, nil)
	blocks := [][]*types.Tx{{tx(1, 0, "x")}, {}, {tx(1, 1, "y"), tx(2, 0, "z")}, {tx(3, 0, "w")}}
	var roots []types.Hash
	for i, txs := range blocks {
		h := uint64(i + 1)
		a.apply(block(h, txs...))
		if i == 2 {
			b.reopen()
		}
		b.apply(block(h, txs...))
		ra, rb := a.m.Executed(), b.m.Executed()
		if len(ra) != 1 || ra[0].Height != h || ra[0] != rb[0] {
			t.Fatalf("height %d: results %+v and %+v", h, ra, rb)
		}
		roots = append(roots, ra[0].Root)
	}
	if roots[0] == roots[2] || roots[2] == roots[3] {
		t.Fatalf("roots did not change with the state: %x", roots)
	}
	tree, ok := a.m.StateTree(4)
	if !ok || tree.Root() != roots[3] {
		t.Fatalf("state tree at 4: %v", ok)
	}
	k := state.AccountKey(addr(3))
	val := state.EncodeAccount(a.m.Account(addr(3)))
	if err := smt.VerifyInclusion(roots[3], k, val, tree.Prove(k)); err != nil {
		t.Fatalf("account 3 inclusion: %v", err)
	}
	if err := smt.VerifyInclusion(roots[2], k, val, tree.Prove(k)); err == nil {
		t.Fatal("account 3 proven against the root before its first transaction")
	}
	absent := state.AccountKey(addr(7))
	if err := smt.VerifyExclusion(roots[3], absent, tree.Prove(absent)); err != nil {
		t.Fatalf("unused account exclusion: %v", err)
	}
	if r := b.m.RecentResults(10); len(r) == 0 || r[len(r)-1].Root != roots[3] {
		t.Fatalf("recent results after restart: %+v", r)
	}
}

// A store whose state no longer matches its recorded result is refused at
// start, rather than run with a root the other validators will reject.
func TestCorruptStateIsRefused(t *testing.T) {
	e := newEnv(t, nil)
	e.apply(block(1, tx(1, 0, "x")))
	forged := state.EncodeAccount(state.Account{Balance: 1 << 40})
	if err := e.st.WriteState([]store.KV{{Key: state.AccountKey(addr(1)), Value: forged}}, true); err != nil {
		t.Fatal(err)
	}
	e.st.Close()
	st, err := store.Open(e.dir)
	if err != nil {
		t.Fatal(err)
	}
	e.st = st
	_, err = state.New(chain, st, nil, e.g)
	if err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("machine over a tampered store: %v", err)
	}
}
