package idao

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// The certificate said valid; the validators re-ran the verifier and
// found row 2 bad. The artifact is overturned, exactly the certificate's
// signers (validators 0, 1 and 3, not 2) lose SlashBps of their stake and
// are jailed, the challenger gets the bond back plus the reporter reward,
// and a rival dispute over the same certificate is superseded.
func TestRulingForChallengerOverturns(t *testing.T) {
	f := newFixture(t)
	start := f.bank.Balance(challenger)
	id := f.open(challenger, ClaimWrongVerdict)
	rivalID := f.open(rival, ClaimWrongDigest)
	burned := f.stake.Supply().Burned
	// The ruling lands two rotations later: the certificate's committee
	// is read from the history.
	f.advance(22)
	if _, ok := f.st.Committee("q", 0); ok {
		t.Fatal("rotation 0's committee is still held; the test does not reach the history")
	}
	truth := verify.Invalid("row 2: column %q: %q is not an int", "a", "x")
	u := f.rule(id, true, false, truth.Digest, truth.Reason, 0, 1, 2, 3)
	if code := f.exec(op(9), KindRuling, u.Encode()); code != 0 {
		t.Fatalf("ruling: %s", code)
	}

	a := mustArtifact(t, f.world, f.a.ID)
	if a.Status != Overturned || a.Verdict || a.Digest != truth.Digest || a.Reason != truth.Reason || a.OverturnedBy != id {
		t.Fatalf("artifact %s verdict %v digest %x reason %q by %x", a.Status, a.Verdict, a.Digest[:4], a.Reason, a.OverturnedBy[:4])
	}
	if !bytes.Equal(a.Sig, f.a.Sig) || a.CertRotation != 0 {
		t.Fatal("the wrong certificate was not kept for audits")
	}
	wantTokens := []uint64{9_000, 9_000, 10_000, 27_000}
	for i, want := range wantTokens {
		v, _ := f.stake.Validator(op(i))
		if v.Tokens != want || v.Jailed != (i != 2) {
			t.Errorf("validator %d: tokens %d jailed %v, want %d jailed %v", i, v.Tokens, v.Jailed, want, i != 2)
		}
	}
	// Slashed 1000+1000+3000; the reporter gets 10% of each.
	d := f.dispute(id)
	j := d.Ruling
	if d.Status != DisputeUpheld || d.Closed != 22 || j == nil || j.Slashed != 5_000 || j.SlashedCount != 3 || j.Reward != 500 ||
		j.SignedPower != 60_000 || j.TotalPower != 60_000 || !j.ForChallenger {
		t.Fatalf("dispute %s closed %d ruling %+v", d.Status, d.Closed, j)
	}
	if got := f.bank.Balance(challenger); got != start+500 {
		t.Fatalf("challenger %d, want %d (bond back and reward)", got, start+500)
	}
	if got := f.stake.Supply().Burned - burned; got != 4_500 {
		t.Fatalf("burned %d, want 4500", got)
	}
	if r := f.dispute(rivalID); r.Status != DisputeSuperseded || f.bank.Balance(rival) != 1_000_000 {
		t.Fatalf("rival dispute %s, rival balance %d", r.Status, f.bank.Balance(rival))
	}
	if f.bank.Balance(DisputeEscrow) != 0 || len(f.st.OpenDisputes()) != 0 {
		t.Fatalf("escrow %d open %v", f.bank.Balance(DisputeEscrow), f.st.OpenDisputes())
	}
	for typ, detail := range map[string]string{"dispute.ruled": "for challenger", "artifact.overturned": "valid digest c0000000",
		"dispute.superseded": "overturned by another dispute"} {
		if ev := f.events(typ); len(ev) != 1 || !strings.Contains(ev[0].Detail, detail) {
			t.Errorf("%s events %v, want one with %q", typ, ev, detail)
		}
	}
	if ev := f.events("dispute.ruled"); !strings.Contains(ev[0].Detail, "slashed 3 signers 5000 tokens reward 500") {
		t.Errorf("ruled detail %q", ev[0].Detail)
	}
	f.checkSupply()

	before := f.snapshot()
	if code := f.exec(op(9), KindRuling, u.Encode()); code != DisputeClosed {
		t.Fatalf("second ruling: %s", code)
	}
	if !bytes.Equal(before, f.snapshot()) {
		t.Fatal("a refused ruling changed the state")
	}
}

// The validators reproduced the certificate: the bond goes to its three
// signers in proportion to their stake (10k, 10k, 30k of 50k), the one
// unit of remainder to the first, and the artifact is attested again.
func TestRulingAgainstForfeitsBond(t *testing.T) {
	f := newFixture(t)
	start := f.bank.Balance(challenger)
	id := f.open(challenger, ClaimWrongVerdict)
	var bal [4]uint64
	for i := range bal {
		bal[i] = f.bank.Balance(op(i))
	}
	if code := f.exec(op(9), KindRuling, f.rule(id, false, true, certDigest, "", 3, 0, 1).Encode()); code != 0 {
		t.Fatalf("ruling: %s", code)
	}
	for i, want := range []uint64{201, 200, 0, 600} {
		if got := f.bank.Balance(op(i)) - bal[i]; got != want {
			t.Errorf("signer %d got %d, want %d", i, got, want)
		}
	}
	for i, want := range disputeStakes {
		if got := f.tokens(i); got != want {
			t.Errorf("validator %d tokens %d, want %d", i, got, want)
		}
	}
	if f.bank.Balance(challenger) != start-testBond || f.bank.Balance(DisputeEscrow) != 0 {
		t.Fatalf("challenger %d escrow %d", f.bank.Balance(challenger), f.bank.Balance(DisputeEscrow))
	}
	if a := mustArtifact(t, f.world, f.a.ID); a.Status != Attested || !a.Verdict || a.Digest != certDigest {
		t.Fatalf("artifact %s", a.Status)
	}
	if d := f.dispute(id); d.Status != DisputeRejected || d.Ruling.ForChallenger || d.Ruling.SignedPower != 50_000 {
		t.Fatalf("dispute %s %+v", d.Status, d.Ruling)
	}
	if ev := f.events("dispute.ruled"); len(ev) != 1 || !strings.Contains(ev[0].Detail, "against challenger") {
		t.Fatalf("events %v", ev)
	}
	f.checkSupply()
}

// An artifact whose bytes nobody can fetch is overturned to the fixed
// unavailable verdict, and only to it.
func TestRulingOnUnavailability(t *testing.T) {
	f := newFixture(t)
	id := f.open(challenger, ClaimUnavailable)
	other := verify.Invalid("row 1: bad")
	if code := f.exec(op(9), KindRuling, f.rule(id, true, false, other.Digest, other.Reason, 0, 1, 2, 3).Encode()); code != BadRuling {
		t.Fatalf("another invalid verdict: %s", code)
	}
	u := f.rule(id, true, false, UnavailableResult.Digest, UnavailableResult.Reason, 0, 1, 2, 3)
	if code := f.exec(op(9), KindRuling, u.Encode()); code != 0 {
		t.Fatalf("ruling: %s", code)
	}
	if a := mustArtifact(t, f.world, f.a.ID); a.Status != Overturned || a.Digest != UnavailableResult.Digest {
		t.Fatalf("artifact %s digest %x", a.Status, a.Digest[:4])
	}
	f.checkSupply()
}

// Every refused ruling names its reason and changes nothing.
func TestRulingRejections(t *testing.T) {
	truth := verify.Invalid("row 2: bad")
	all := []int{0, 1, 2, 3}
	upheld := func(f *fixture, id types.Hash) Ruling {
		return f.rule(id, true, false, truth.Digest, truth.Reason, all...)
	}
	cases := []struct {
		name  string
		setup func(f *fixture, id types.Hash)
		body  func(f *fixture, id types.Hash) Ruling
		want  Code
	}{
		{"exactly two thirds of the stake", nil, func(f *fixture, id types.Hash) Ruling {
			return f.rule(id, true, false, truth.Digest, truth.Reason, 3, 0)
		}, BadCertificate},
		{"bad signature", nil, func(f *fixture, id types.Hash) Ruling {
			u := upheld(f, id)
			u.Sig = f.rule(id, false, true, certDigest, "", all...).Sig // over the other side
			return u
		}, BadCertificate},
		{"bitmap of the wrong size", nil, func(f *fixture, id types.Hash) Ruling {
			u := upheld(f, id)
			u.Signers = append(u.Signers, 0)
			return u
		}, BadCertificate},
		{"wrong epoch", nil, func(f *fixture, id types.Hash) Ruling {
			u := upheld(f, id)
			u.Epoch++
			return u
		}, WrongEpoch},
		{"unknown dispute", nil, func(f *fixture, id types.Hash) Ruling {
			return f.rule(DisputeID(f.a.ID, ClaimWrongDigest), true, false, truth.Digest, truth.Reason, all...)
		}, UnknownDispute},
		{"for the challenger with the certified verdict", nil, func(f *fixture, id types.Hash) Ruling {
			return f.rule(id, true, true, types.Hash{0xD}, "", all...)
		}, BadRuling},
		{"against the challenger with another digest", nil, func(f *fixture, id types.Hash) Ruling {
			return f.rule(id, false, true, types.Hash{0xD}, "", all...)
		}, BadRuling},
		{"reason not hashing to the digest", nil, func(f *fixture, id types.Hash) Ruling {
			return f.rule(id, true, false, truth.Digest, "row 3: bad", all...)
		}, BadRuling},
		{"after the deadline", func(f *fixture, id types.Hash) { f.height = f.dispute(id).Deadline + 1 }, upheld, DisputeClosed},
		{"after expiry", func(f *fixture, id types.Hash) { f.advance(f.dispute(id).Deadline + 1) }, upheld, DisputeClosed},
		{"second ruling", func(f *fixture, id types.Hash) {
			if code := f.exec(op(9), KindRuling, f.rule(id, false, true, certDigest, "", all...).Encode()); code != 0 {
				f.t.Fatalf("first ruling: %s", code)
			}
		}, upheld, DisputeClosed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			id := f.open(challenger, ClaimWrongVerdict)
			if tc.setup != nil {
				tc.setup(f, id)
			}
			before := f.snapshot()
			if code := f.exec(op(9), KindRuling, tc.body(f, id).Encode()); code != tc.want {
				t.Fatalf("code %s, want %s", code, tc.want)
			}
			if !bytes.Equal(before, f.snapshot()) {
				t.Fatal("a refused ruling changed the state")
			}
			f.checkSupply()
		})
	}
	if code := newFixture(t).exec(op(9), KindRuling, []byte{1, 2}); code != BadBody {
		t.Fatalf("malformed ruling: %s", code)
	}
}

// A dispute nobody rules on expires at the end of its deadline block:
// the bond comes back and the artifact is attested again, but only once
// no other dispute over it is open.
func TestDisputeExpiry(t *testing.T) {
	f := newFixture(t)
	start := f.bank.Balance(challenger)
	id := f.open(challenger, ClaimWrongVerdict) // height 3, deadline 23
	f.height = 10
	rivalID := f.open(rival, ClaimWrongDigest) // deadline 30
	f.advance(23)
	if d := f.dispute(id); d.Status != DisputeOpen {
		t.Fatalf("expired before the end of its deadline block: %s", d.Status)
	}
	f.advance(24)
	d := f.dispute(id)
	if d.Status != DisputeExpired || d.Closed != 23 || d.Ruling != nil || f.bank.Balance(challenger) != start {
		t.Fatalf("dispute %s closed %d, challenger %d want %d", d.Status, d.Closed, f.bank.Balance(challenger), start)
	}
	if a := mustArtifact(t, f.world, f.a.ID); a.Status != Disputed {
		t.Fatalf("artifact %s while the rival dispute is open", a.Status)
	}
	f.advance(31)
	if r := f.dispute(rivalID); r.Status != DisputeExpired || f.bank.Balance(rival) != 1_000_000 {
		t.Fatalf("rival %s balance %d", r.Status, f.bank.Balance(rival))
	}
	if a := mustArtifact(t, f.world, f.a.ID); a.Status != Attested || len(a.Disputes) != 2 {
		t.Fatalf("artifact %s disputes %d", a.Status, len(a.Disputes))
	}
	if ev := f.events("dispute.expired"); len(ev) != 2 || !strings.Contains(ev[0].Detail, "artifact disputed") || !strings.Contains(ev[1].Detail, "artifact attested") {
		t.Fatalf("events %v", ev)
	}
	if f.bank.Balance(DisputeEscrow) != 0 || len(f.st.OpenDisputes()) != 0 || f.st.EndBlockDisputes(f.ctx()) {
		t.Fatal("expiry left something behind")
	}
	f.checkSupply()
}

// A signer cannot escape the ruling by unbonding: its stake, unbonded
// after the certificate, outlives its unbonding period while the verdict
// can still be overturned, and is slashed when it is; withdrawn only once
// the window and the ruling period have passed.
func TestSignerCannotWithdrawBeforeTheRuling(t *testing.T) {
	f := newFixtureWindow(t, 400) // attested at 2: disputes until 402, ruled by 422
	sctx := func() staking.Ctx { return staking.Ctx{Bank: f.bank, Height: f.height} }
	if err := f.stake.Exec(sctx(), op(3), staking.KindUndelegate, staking.Undelegate{Validator: op(3), Amount: 30_000}.Encode()); err != nil {
		t.Fatalf("undelegate: %v", err)
	}
	done := f.stake.Unbonding(op(3))[0].CompleteHeight
	f.advance(done + 5)
	if err := f.stake.Exec(sctx(), op(3), staking.KindWithdraw, staking.Withdraw{}.Encode()); err == nil {
		t.Fatal("a signer withdrew while its verdict was open to dispute")
	}
	id := f.open(challenger, ClaimWrongVerdict)
	truth := verify.Invalid("row 2: column %q: %q is not an int", "a", "x")
	u := f.rule(id, true, false, truth.Digest, truth.Reason, 0, 1, 2, 3)
	if code := f.exec(op(9), KindRuling, u.Encode()); code != 0 {
		t.Fatalf("ruling: %s", code)
	}
	if e := f.stake.Unbonding(op(3)); len(e) != 1 || e[0].Amount != 27_000 {
		t.Fatalf("signer's unbonding after the ruling: %+v, want 27000 (10%% slashed)", e)
	}
	f.advance(423)
	if err := f.stake.Exec(sctx(), op(3), staking.KindWithdraw, staking.Withdraw{}.Encode()); err != nil {
		t.Fatalf("withdraw after the window: %v", err)
	}
	f.checkSupply()
}
