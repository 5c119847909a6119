package idao

import (
	"testing"

	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// undelegated gives alice a delegation of 10,000 to validator 3 and takes
// it out at once; it returns the height her entry completes.
func undelegated(t *testing.T, w *world, alice staking.Address) uint64 {
	t.Helper()
	w.bank.SetBalance(alice, 100_000)
	ctx := staking.Ctx{Bank: w.bank, Height: w.height}
	if err := w.stake.Exec(ctx, alice, staking.KindDelegate, staking.Delegate{Validator: op(3), Amount: 10_000}.Encode()); err != nil {
		t.Fatal(err)
	}
	if err := w.stake.Exec(ctx, alice, staking.KindUndelegate, staking.Undelegate{Validator: op(3), Amount: 10_000}.Encode()); err != nil {
		t.Fatal(err)
	}
	return w.stake.Unbonding(alice)[0].CompleteHeight
}

// attestOnce submits artifact n to "q" and has validators 0, 1 and 3
// certify it as valid.
func attestOnce(t *testing.T, w *world, n byte) *Artifact {
	t.Helper()
	rot, _ := w.st.Rotation()
	sub := sampleSubmit("q", n)
	if code := w.exec(op(99), KindSubmit, sub.Encode()); code != 0 {
		t.Fatalf("submit: %s", code)
	}
	a := mustArtifact(t, w, ArtifactID(sub))
	if code := w.exec(op(0), KindAttest, w.certify(a, rot, true, types.Hash{0xC0}, 0, 1, 3).Encode()); code != 0 {
		t.Fatalf("attest: %s", code)
	}
	return a
}

// overturn disputes artifact id's verdict and has every validator rule
// for the challenger.
func overturn(t *testing.T, w *world, id types.Hash) {
	t.Helper()
	if code := w.exec(challenger, KindChallenge, Challenge{Artifact: id, Claim: ClaimWrongVerdict, Bond: testBond}.Encode()); code != 0 {
		t.Fatalf("challenge: %s", code)
	}
	truth := verify.Invalid("row 2: column %q: %q is not an int", "a", "x")
	u := w.rule(DisputeID(id, ClaimWrongVerdict), true, false, truth.Digest, truth.Reason, 0, 1, 2, 3)
	if code := w.exec(op(9), KindRuling, u.Encode()); code != 0 {
		t.Fatalf("ruling: %s", code)
	}
}

// A delegator whose unbonding completed before her validator signed a
// verdict is not behind that verdict: she may withdraw while it is open
// to dispute, and its overturning does not cut her. Stake still unbonding
// when the verdict was signed stays liable (TestSignerCannotOutrunRuling).
func TestCompletedUnbondingIsNotLockedByLaterVerdicts(t *testing.T) {
	w := newWorld(t, disputeStakes...)
	alice, bob := op(50), op(51)
	done := undelegated(t, w, alice)
	p := DefaultPolicy()
	p.DisputeBond = testBond
	w.create("q", p, 0, 1, 2, 3)
	w.advance(done - 5)
	bobDone := undelegated(t, w, bob) // still unbonding when the verdict lands
	w.advance(done + 10)
	a := attestOnce(t, w, 1)
	w.height++
	overturn(t, w, a.ID)
	if e := w.stake.Unbonding(alice); len(e) != 1 || e[0].Amount != 10_000 {
		t.Errorf("alice's entry, complete at %d before the verdict at %d: %+v, want 10000 uncut", done, done+10, e)
	}
	if e := w.stake.Unbonding(bob); len(e) != 1 || e[0].Amount >= 10_000 {
		t.Errorf("bob's entry, unbonding (until %d) when the verdict landed at %d: %+v, want it cut", bobDone, done+10, e)
	}
	before := w.bank.Balance(alice)
	if err := w.stake.Exec(staking.Ctx{Bank: w.bank, Height: w.height}, alice, staking.KindWithdraw, staking.Withdraw{}.Encode()); err != nil {
		t.Fatalf("alice's completed entry frozen by a later verdict: %v", err)
	}
	if got := w.bank.Balance(alice) - before; got != 10_000 {
		t.Errorf("alice withdrew %d, want 10000", got)
	}
}

// A validator that attests again and again does not keep an entry that
// completed before its verdicts from being withdrawn.
func TestBusySignerDoesNotFreezeCompletedEntries(t *testing.T) {
	w := newWorld(t, disputeStakes...)
	alice := op(50)
	done := undelegated(t, w, alice)
	w.create("q", DefaultPolicy(), 0, 1, 2, 3)
	w.advance(done - 50)
	for n := byte(1); n <= 10; n++ {
		attestOnce(t, w, n)
		w.advance(w.height + 10)
	}
	if w.height <= done {
		t.Fatalf("height %d, entry completes at %d", w.height, done)
	}
	if err := w.stake.Exec(staking.Ctx{Bank: w.bank, Height: w.height}, alice, staking.KindWithdraw, staking.Withdraw{}.Encode()); err == nil {
		t.Fatalf("withdrew at %d an entry that was unbonding behind verdicts signed from %d", w.height, done-50)
	}
	// Her entry was behind the first verdicts; those windows close, and no
	// later verdict extends a lock on an entry already complete.
	last := w.height
	for n := byte(11); n <= 200; n++ {
		attestOnce(t, w, n)
		w.advance(w.height + 10)
		if err := w.stake.Exec(staking.Ctx{Bank: w.bank, Height: w.height}, alice, staking.KindWithdraw, staking.Withdraw{}.Encode()); err == nil {
			return
		}
		if w.height > last+2*(DefaultPolicy().ChallengeWindow+DefaultParams().RulingBlocks)+100 {
			break
		}
	}
	t.Fatalf("entry complete at %d still not withdrawable at %d while its validator kept attesting", done, w.height)
}

// An entry locked by an earlier verdict A is still not cut when a later
// verdict B, which landed after the entry completed, is overturned: the
// lock keeps it liable for A only.
func TestEntryIsNotCutForVerdictsAfterItCompleted(t *testing.T) {
	w := newWorld(t, disputeStakes...)
	alice := op(50)
	done := undelegated(t, w, alice)
	p := DefaultPolicy()
	p.DisputeBond = testBond
	w.create("q", p, 0, 1, 2, 3)
	w.advance(done - 5)
	attestOnce(t, w, 1) // A: alice's entry still unbonding, so locked
	lockA := w.stake.Unbonding(alice)[0].LockedUntil
	w.advance(done + 5)
	b := attestOnce(t, w, 2) // B lands after alice's entry completed
	if w.height >= lockA {
		t.Fatalf("setup: height %d past A's lock %d", w.height, lockA)
	}
	w.height++
	overturn(t, w, b.ID)
	if e := w.stake.Unbonding(alice); len(e) != 1 || e[0].Amount != 10_000 {
		t.Errorf("entry complete at %d, before B landed, was cut for B: %+v", done, e)
	}
}
