package staking

import (
	"testing"
)

func TestTransfer(t *testing.T) {
	f := newFixture(t, testParams(), 5000)
	alice, bob := addr(10), addr(11)
	f.mustExec(alice, KindTransfer, Transfer{To: bob, Amount: 300}.Encode())
	f.mustExec(alice, KindTransfer, Transfer{To: alice, Amount: 100_000 - 300}.Encode())
	if a, b := f.bank.Balance(alice), f.bank.Balance(bob); a != 99_700 || b != 100_300 {
		t.Fatalf("balances %d %d, want 99700 100300", a, b)
	}
	f.checkSupply()
}

func TestCreateValidator(t *testing.T) {
	f := newFixture(t, testParams(), 5000)
	op := addr(3)
	f.mustExec(op, KindCreateValidator, createBody(3, 2500, 700))
	v := f.val(3)
	if v.Tokens != 2500 || v.Shares != 2500 || v.CommissionBps != 700 || v.Name != "val-3" || v.Jailed {
		t.Fatalf("validator %+v", v)
	}
	if d := f.s.DelegationsOf(op); len(d) != 1 || d[0].Shares != 2500 || d[0].Tokens != 2500 {
		t.Fatalf("self-delegation %+v", d)
	}
	if got := f.bank.Balance(op); got != 97_500 {
		t.Fatalf("balance %d, want 97500", got)
	}
	if n := len(f.s.Active()); n != 1 {
		t.Fatalf("a new validator joined the running epoch: %d members", n)
	}
	ch := f.endEpoch()
	if got, want := operators(ch.Set), addrs(1, 3); !equalAddrs(got, want) {
		t.Fatalf("next set %v, want %v", got, want)
	}
	f.checkSupply()
}

func TestEditValidator(t *testing.T) {
	f := newFixture(t, testParams(), 5000)
	f.mustExec(addr(1), KindEditValidator, EditValidator{Name: "renamed", CommissionBps: KeepCommission}.Encode())
	f.mustExec(addr(1), KindEditValidator, EditValidator{NetAddr: "h:1", CommissionBps: 250}.Encode())
	v := f.val(1)
	if v.Name != "renamed" || v.NetAddr != "h:1" || v.CommissionBps != 250 {
		t.Fatalf("validator %+v", v)
	}
}

// Shares are bought at the current rate rounded down and sold rounded up.
func TestDelegateUndelegateRounding(t *testing.T) {
	f := newFixture(t, testParams(), 5000)
	alice, v1 := addr(10), addr(1)
	f.s.Slash(nil, 0, v1, 1000, false, nil) // 4500 tokens for 5000 shares
	f.mustExec(alice, KindDelegate, Delegate{Validator: v1, Amount: 900}.Encode())
	if d := f.s.DelegationsOf(alice); len(d) != 1 || d[0].Shares != 1000 || d[0].Tokens != 900 {
		t.Fatalf("delegation %+v, want 1000 shares worth 900", d)
	}
	// 1 token needs 6000/5400 = 1.11 shares: 2 are taken.
	f.mustExec(alice, KindUndelegate, Undelegate{Validator: v1, Amount: 1}.Encode())
	v := f.val(1)
	if v.Tokens != 5399 || v.Shares != 5998 {
		t.Fatalf("validator tokens %d shares %d, want 5399 5998", v.Tokens, v.Shares)
	}
	if d := f.s.DelegationsOf(alice); d[0].Shares != 998 {
		t.Fatalf("alice shares %d, want 998", d[0].Shares)
	}
	want := UnbondingEntry{Delegator: alice, Validator: v1, Amount: 1, CompleteHeight: f.height + 30}
	if u := f.s.Unbonding(alice); len(u) != 1 || u[0] != want {
		t.Fatalf("unbonding %+v, want %+v", u, want)
	}
	f.checkSupply()
}

func TestUndelegateAllAndWithdraw(t *testing.T) {
	f := newFixture(t, testParams(), 5000)
	alice, v1 := addr(10), addr(1)
	f.mustExec(alice, KindDelegate, Delegate{Validator: v1, Amount: 1000}.Encode())
	f.mustExec(alice, KindUndelegate, Undelegate{Validator: v1, Amount: 400}.Encode()) // matures at 31
	f.height = 5
	f.mustExec(alice, KindUndelegate, Undelegate{Validator: v1, Amount: 600}.Encode()) // matures at 35
	if d := f.s.DelegationsOf(alice); len(d) != 0 {
		t.Fatalf("delegation left after undelegating all: %+v", d)
	}
	f.height = 31
	f.mustExec(alice, KindWithdraw, Withdraw{}.Encode())
	if got := f.bank.Balance(alice); got != 99_400 {
		t.Fatalf("balance %d after the first maturity, want 99400", got)
	}
	if u := f.s.Unbonding(alice); len(u) != 1 || u[0].Amount != 600 {
		t.Fatalf("unbonding %+v, want the 600 entry only", u)
	}
	f.height = 35
	f.mustExec(alice, KindWithdraw, Withdraw{}.Encode())
	if got := f.bank.Balance(alice); got != 100_000 {
		t.Fatalf("balance %d, want 100000", got)
	}
	f.checkSupply()
}

func TestUnjail(t *testing.T) {
	f := newFixture(t, testParams(), 5000, 3000)
	v2 := addr(2)
	f.s.Slash(nil, 0, v2, 0, true, nil)
	if v := f.val(2); !v.Jailed || v.JailedUntil != 2 {
		t.Fatalf("jailed %v until %d, want until 2", v.Jailed, v.JailedUntil)
	}
	if ch := f.endEpoch(); !equalAddrs(operators(ch.Set), addrs(1)) {
		t.Fatalf("jailed validator in the next set: %v", operators(ch.Set))
	}
	f.endEpoch()
	f.mustExec(v2, KindUnjail, Unjail{}.Encode())
	if ch := f.endEpoch(); !equalAddrs(operators(ch.Set), addrs(1, 2)) {
		t.Fatalf("unjailed validator not back: %v", operators(ch.Set))
	}
}

func equalAddrs(a, b []Address) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
