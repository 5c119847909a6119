package staking

import "testing"

// Rewards with concrete numbers: V1 (power 3000, 10% commission, alice
// delegated 1000 after the set was fixed) and V2 (power 1000).
func TestRewardsCommissionAndProRata(t *testing.T) {
	p := testParams()
	p.EpochReward = 1000
	f := newFixture(t, p, 3000, 1000)
	v1, v2, alice := addr(1), addr(2), addr(10)
	f.mustExec(v1, KindEditValidator, EditValidator{CommissionBps: 1000}.Encode())
	f.mustExec(alice, KindDelegate, Delegate{Validator: v1, Amount: 1000}.Encode())
	minted := f.s.Supply().Minted

	// Epoch 0: powers 3000:1000 -> 750 and 250. V1: commission 75, rest
	// 675 over 4000 shares: operator 3000 -> 506, alice 1000 -> 168, dust 1.
	f.endEpoch()
	want := map[Address]uint64{v1: 100_000 + 75 + 506 + 1, alice: 99_000 + 168, v2: 100_000 + 250}
	for a, w := range want {
		if got := f.bank.Balance(a); got != w {
			t.Errorf("epoch 0: balance of %s = %d, want %d", a, got, w)
		}
	}
	if got := f.s.Supply().Minted - minted; got != 1000 {
		t.Errorf("epoch 0 minted %d, want 1000", got)
	}

	// Epoch 1: powers 4000:1000 -> 800 and 200. V1: commission 80, rest
	// 720: operator 540, alice 180, no dust.
	f.endEpoch()
	want[v1] += 80 + 540
	want[alice] += 180
	want[v2] += 200
	for a, w := range want {
		if got := f.bank.Balance(a); got != w {
			t.Errorf("epoch 1: balance of %s = %d, want %d", a, got, w)
		}
	}
	f.checkSupply()
}

// Rounding: dust of the delegators' split goes to the operator, and what
// the per-member floor leaves is never minted.
func TestRewardsDust(t *testing.T) {
	t.Run("delegator dust to operator", func(t *testing.T) {
		p := testParams()
		p.EpochReward = 100
		f := newFixture(t, p, 1000)
		f.mustExec(addr(10), KindDelegate, Delegate{Validator: addr(1), Amount: 1000}.Encode())
		f.mustExec(addr(11), KindDelegate, Delegate{Validator: addr(1), Amount: 1000}.Encode())
		f.endEpoch()
		// 100 over three equal shares: 33 each, 1 of dust to the operator.
		if got := f.bank.Balance(addr(1)); got != 100_034 {
			t.Errorf("operator %d, want 100034", got)
		}
		for _, a := range addrs(10, 11) {
			if got := f.bank.Balance(a); got != 99_033 {
				t.Errorf("delegator %s: %d, want 99033", a, got)
			}
		}
		f.checkSupply()
	})
	t.Run("member floors are not minted", func(t *testing.T) {
		p := testParams()
		p.EpochReward = 1000
		f := newFixture(t, p, 3000, 3000, 1000)
		before := f.s.Supply().Minted
		f.endEpoch()
		// 1000*3000/7000 = 428 twice, 1000*1000/7000 = 142: 998 paid.
		if got := f.s.Supply().Minted - before; got != 998 {
			t.Errorf("minted %d, want 998", got)
		}
		f.checkSupply()
	})
	t.Run("full commission", func(t *testing.T) {
		p := testParams()
		p.EpochReward = 1000
		f := newFixture(t, p, 1000)
		f.mustExec(addr(1), KindEditValidator, EditValidator{CommissionBps: MaxBps}.Encode())
		f.mustExec(addr(10), KindDelegate, Delegate{Validator: addr(1), Amount: 1000}.Encode())
		f.endEpoch()
		if a, o := f.bank.Balance(addr(10)), f.bank.Balance(addr(1)); a != 99_000 || o != 101_000 {
			t.Errorf("delegator %d operator %d, want 99000 101000", a, o)
		}
		f.checkSupply()
	})
}
