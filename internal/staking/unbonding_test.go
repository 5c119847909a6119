package staking

import "testing"

// Unbonding entries live in the staking record every block encodes until
// their owner withdraws. Undelegations that complete at one height share
// an entry, one delegator has at most MaxUnbondingEntries with one
// validator, and a refused undelegation changes nothing.
func TestUnbondingEntriesBounded(t *testing.T) {
	f := newFixture(t, testParams(), 10_000, 10_000)
	del, v1, v2 := addr(5), addr(1), addr(2)
	f.mustExec(del, KindDelegate, Delegate{Validator: v1, Amount: 1_000}.Encode())
	f.mustExec(del, KindDelegate, Delegate{Validator: v2, Amount: 1_000}.Encode())
	for range 3 {
		f.mustExec(del, KindUndelegate, Undelegate{Validator: v1, Amount: 1}.Encode())
	}
	if got := f.s.Unbonding(del); len(got) != 1 || got[0].Amount != 3 {
		t.Fatalf("three undelegations in one block: %+v, want one entry of 3", got)
	}
	for range MaxUnbondingEntries - 1 {
		f.commit(0, all(2))
		f.mustExec(del, KindUndelegate, Undelegate{Validator: v1, Amount: 1}.Encode())
	}
	f.commit(0, all(2))
	before := f.snap()
	err := f.exec(del, KindUndelegate, Undelegate{Validator: v1, Amount: 1}.Encode())
	if c, ok := codeOf(err); !ok || c != TooManyUnbonding {
		t.Fatalf("undelegation past the bound: %v, want %s", err, TooManyUnbonding)
	}
	if err := f.unchanged(before); err != nil {
		t.Fatalf("refused undelegation: %v", err)
	}
	// The bound is per validator: the same delegator may unbond elsewhere.
	f.mustExec(del, KindUndelegate, Undelegate{Validator: v2, Amount: 1}.Encode())
	// Once the entries matured and were withdrawn, there is room again.
	for f.height <= f.s.Unbonding(del)[MaxUnbondingEntries-1].CompleteHeight {
		f.commit(0, all(2))
	}
	f.mustExec(del, KindWithdraw, Withdraw{}.Encode())
	f.mustExec(del, KindUndelegate, Undelegate{Validator: v1, Amount: 1}.Encode())
	f.checkSupply()
}
