package staking

import (
	"testing"
)

// Equivocation with real BLS signatures, for votes and proposals: the
// validator and its unbonding entries lose 5%, the reporter gets 10% of
// that, the rest burns, and the offender leaves at the next boundary.
func TestEquivocationEvidence(t *testing.T) {
	for _, kind := range []uint8{EvidenceVote, EvidenceProposal} {
		t.Run(map[uint8]string{EvidenceVote: "vote", EvidenceProposal: "proposal"}[kind], func(t *testing.T) {
			f := newFixture(t, testParams(), 5000, 3000)
			v1, alice, bob := addr(1), addr(10), addr(11)
			f.mustExec(alice, KindDelegate, Delegate{Validator: v1, Amount: 1000}.Encode())
			f.mustExec(alice, KindUndelegate, Undelegate{Validator: v1, Amount: 500}.Encode())
			burned := f.s.Supply().Burned

			f.mustExec(bob, KindEvidence, equivocation(1, kind, 0, 7, 0).Encode())

			// Tokens 5500 -> cut 275; entry 500 -> cut 25; total 300.
			v := f.val(1)
			if v.Tokens != 5225 || v.Shares != 5500 || !v.Jailed || v.JailedUntil != 2 {
				t.Fatalf("validator %+v", v)
			}
			if u := f.s.Unbonding(alice); len(u) != 1 || u[0].Amount != 475 {
				t.Fatalf("unbonding %+v, want 475 left", u)
			}
			if d := f.s.DelegationsOf(alice); d[0].Tokens != 475 {
				t.Fatalf("alice's 500 shares worth %d, want 475", d[0].Tokens)
			}
			if got := f.bank.Balance(bob); got != 100_030 {
				t.Fatalf("reporter %d, want 100030", got)
			}
			if got := f.s.Supply().Burned - burned; got != 270 {
				t.Fatalf("burned %d, want 270", got)
			}
			f.checkSupply()

			ch := f.endEpoch()
			if got := operators(ch.Set); !equalAddrs(got, addrs(2)) {
				t.Fatalf("offender still in the set: %v", got)
			}
			// The jailed offender earns nothing for the epoch it broke.
			if got := f.bank.Balance(v1); got != 100_000 {
				t.Fatalf("jailed operator was paid: %d", got)
			}
			f.checkSupply()
		})
	}
}

// Evidence names a member by its index in its own epoch's set, and stays
// admissible for EvidenceMaxAgeEpochs.
func TestEvidenceAgainstOlderSet(t *testing.T) {
	f := newFixture(t, testParams(), 1000, 5000)
	f.endEpoch() // epoch 1 set is [2, 1]
	f.endEpoch()
	// Epoch 0's index 0 is validator 1, though it is index 1 now.
	f.mustExec(addr(10), KindEvidence, equivocation(1, EvidenceVote, 0, 3, 0).Encode())
	if !f.val(1).Jailed || f.val(2).Jailed {
		t.Fatal("wrong validator punished")
	}
	// Index 0 of epoch 1 is validator 2, and the same round of another
	// epoch is another offense.
	f.mustExec(addr(10), KindEvidence, equivocation(2, EvidenceProposal, 1, 3, 0).Encode())
	if !f.val(2).Jailed {
		t.Fatal("validator 2 not punished")
	}
	f.endEpoch()
	err := f.exec(addr(10), KindEvidence, equivocation(1, EvidenceVote, 0, 4, 0).Encode())
	if c, _ := codeOf(err); c != ExpiredEvidence {
		t.Fatalf("got %v, want expired", err)
	}
	f.checkSupply()
}

func TestSlashHook(t *testing.T) {
	cases := []struct {
		name        string
		bps         uint32
		reporter    bool
		wantSlashed uint64
		wantTokens  uint64
		wantPaid    uint64
	}{
		{"zero", 0, true, 0, 10_000, 0},
		{"one percent", 100, false, 100, 9_900, 0},
		{"half with reporter", 5000, true, 5000, 5000, 500},
		{"all", 10_000, true, 10_000, 0, 1000},
		{"over 100% is capped", 20_000, false, 10_000, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, testParams(), 10_000)
			rep := addr(15)
			var rp *Address
			if c.reporter {
				rp = &rep
			}
			burned := f.s.Supply().Burned
			got := f.s.Slash(f.bank, 0, addr(1), c.bps, false, rp)
			if got != c.wantSlashed || f.val(1).Tokens != c.wantTokens {
				t.Fatalf("slashed %d tokens %d, want %d %d", got, f.val(1).Tokens, c.wantSlashed, c.wantTokens)
			}
			if paid := f.bank.Balance(rep) - 100_000; paid != c.wantPaid {
				t.Fatalf("reporter paid %d, want %d", paid, c.wantPaid)
			}
			if b := f.s.Supply().Burned - burned; b != c.wantSlashed-c.wantPaid {
				t.Fatalf("burned %d, want %d", b, c.wantSlashed-c.wantPaid)
			}
			if f.val(1).Jailed {
				t.Fatal("jailed without jail")
			}
			f.checkSupply()
		})
	}
	f := newFixture(t, testParams(), 10_000)
	if got := f.s.Slash(nil, 0, addr(99), 5000, true, nil); got != 0 {
		t.Fatalf("unknown operator slashed %d", got)
	}
}

// Downtime: a member below 5% of the epoch's blocks loses 1% (less than
// the 5% of equivocation), is jailed, earns nothing and leaves the set;
// exactly 5% is enough.
func TestDowntimeJailing(t *testing.T) {
	p := testParams()
	p.EpochLength = 20
	p.UnbondingBlocks = 60
	p.EpochReward = 1000
	f := newFixture(t, p, 5000, 3000, 2000)
	for h := 1; h <= 20; h++ {
		signers := []int{0}
		if h == 1 {
			signers = []int{0, 2} // validator 3 signs 1 of 20 blocks: 5%
		}
		if ch := f.commit(0, signers); (ch != nil) != (h == 20) {
			t.Fatalf("height %d: change %v", h, ch)
		}
	}
	v2, v3 := f.val(2), f.val(3)
	if !v2.Jailed || v2.Tokens != 2970 || v2.JailedUntil != 2 {
		t.Fatalf("validator 2 %+v, want jailed with 2970 tokens", v2)
	}
	if v3.Jailed || v3.Tokens != 2000 {
		t.Fatalf("validator 3 at exactly 5%% punished: %+v", v3)
	}
	if got := f.bank.Balance(addr(2)); got != 100_000 {
		t.Fatalf("jailed validator was paid %d", got-100_000)
	}
	// 1000 over 10000 power: 500 and 200 paid, 300 (validator 2's) not minted.
	if a, c := f.bank.Balance(addr(1)), f.bank.Balance(addr(3)); a != 100_500 || c != 100_200 {
		t.Fatalf("rewards %d %d, want 100500 100200", a, c)
	}
	if got := operators(f.s.Active()); !equalAddrs(got, addrs(1, 3)) {
		t.Fatalf("set %v, want [1 3]", got)
	}
	if got := f.s.Supply().Burned; got != 30 {
		t.Fatalf("burned %d, want 30", got)
	}
	f.checkSupply()

	// Liveness counters restart, so a full epoch of signing keeps everyone.
	f.endEpoch()
	if f.val(1).Jailed || f.val(3).Jailed {
		t.Fatal("a live validator was jailed")
	}
	f.mustExec(addr(2), KindUnjail, Unjail{}.Encode())
	if ch := f.endEpoch(); !equalAddrs(operators(ch.Set), addrs(1, 2, 3)) {
		t.Fatalf("unjailed validator not back: %v", operators(ch.Set))
	}
}

// An epoch with no recorded blocks jails nobody: the caller may not feed
// liveness at all.
func TestDowntimeNeedsRecordedBlocks(t *testing.T) {
	f := newFixture(t, testParams(), 5000, 3000)
	for h := uint64(1); h <= 10; h++ {
		f.s.EndBlock(f.bank, h)
	}
	if f.val(1).Jailed || f.val(2).Jailed {
		t.Fatal("jailed without liveness data")
	}
}

// A slash cuts unbonding entries still unbonding, not ones that have
// completed: that stake is its owner's, withdrawn or not.
func TestSlashSparesCompletedUnbonding(t *testing.T) {
	f := newFixture(t, testParams(), 5000)
	v1, alice := addr(1), addr(10)
	f.mustExec(alice, KindDelegate, Delegate{Validator: v1, Amount: 1000}.Encode())
	f.mustExec(alice, KindUndelegate, Undelegate{Validator: v1, Amount: 500}.Encode())
	done := f.s.Unbonding(alice)[0].CompleteHeight

	f.s.Slash(f.bank, done, v1, 5000, false, nil)
	if u := f.s.Unbonding(alice); u[0].Amount != 500 {
		t.Fatalf("a completed entry was cut to %d", u[0].Amount)
	}
	f.s.Slash(f.bank, done-1, v1, 5000, false, nil)
	if u := f.s.Unbonding(alice); u[0].Amount != 250 {
		t.Fatalf("an entry still unbonding was left at %d, want 250", u[0].Amount)
	}
	f.checkSupply()
}
