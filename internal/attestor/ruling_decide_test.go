package attestor

import (
	"testing"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// The chain's rules for a ruling's side (idao.checkJudgment), which every
// case below must respect when it signs:
//   - against the challenger: the re-run reproduces the certificate's
//     verdict and digest exactly;
//   - for: claim 1 a different verdict, claim 2 a different digest, claim
//     3 idao.UnavailableResult.
func TestDecide(t *testing.T) {
	valid := verify.Result{Valid: true, Digest: types.Hash{0xAA}}
	valid2 := verify.Result{Valid: true, Digest: types.Hash{0xBB}}
	bad := verify.Invalid("row 3: bad")
	bad2 := verify.Invalid("row 9: bad")
	unav := idao.UnavailableResult
	got := func(r verify.Result) finding { return finding{Result: &r} }
	against := func(r verify.Result) choice { return choice{Verdict: r.Valid, Digest: r.Digest, Reason: r.Reason} }
	forC := func(r verify.Result) choice {
		return choice{ForChallenger: true, Verdict: r.Valid, Digest: r.Digest, Reason: r.Reason}
	}
	tests := []struct {
		name  string
		claim idao.Claim
		cert  verify.Result
		f     finding
		want  choice
		step  step
	}{
		// claim 1: wrong verdict
		{"verdict: cert valid, re-run invalid", idao.ClaimWrongVerdict, valid, got(bad), forC(bad), stepSign},
		{"verdict: cert invalid, re-run valid", idao.ClaimWrongVerdict, bad, got(valid), forC(valid), stepSign},
		{"verdict: re-run reproduces a valid cert", idao.ClaimWrongVerdict, valid, got(valid), against(valid), stepSign},
		{"verdict: re-run reproduces an invalid cert", idao.ClaimWrongVerdict, bad, got(bad), against(bad), stepSign},
		{"verdict: same verdict, other digest", idao.ClaimWrongVerdict, valid, got(valid2), choice{}, stepAbstain},
		{"verdict: same invalid verdict, other reason", idao.ClaimWrongVerdict, bad, got(bad2), choice{}, stepAbstain},
		{"verdict: bytes not fetched", idao.ClaimWrongVerdict, valid, finding{Unavailable: true}, choice{}, stepRetry},
		{"verdict: verifier reached no verdict", idao.ClaimWrongVerdict, valid, finding{}, choice{}, stepRetry},
		// claim 2: wrong digest
		{"digest: other digest", idao.ClaimWrongDigest, valid, got(valid2), forC(valid2), stepSign},
		{"digest: other verdict, so other digest", idao.ClaimWrongDigest, valid, got(bad), forC(bad), stepSign},
		{"digest: re-run reproduces the cert", idao.ClaimWrongDigest, valid, got(valid), against(valid), stepSign},
		{"digest: bytes not fetched", idao.ClaimWrongDigest, valid, finding{Unavailable: true}, choice{}, stepRetry},
		{"digest: no verdict", idao.ClaimWrongDigest, bad, finding{}, choice{}, stepRetry},
		// claim 3: unavailable
		{"unavailable: fetch ran out of time", idao.ClaimUnavailable, valid, finding{Unavailable: true}, forC(unav), stepSign},
		{"unavailable: fetched, cert reproduced", idao.ClaimUnavailable, valid, got(valid), against(valid), stepSign},
		{"unavailable: fetched, invalid cert reproduced", idao.ClaimUnavailable, bad, got(bad), against(bad), stepSign},
		{"unavailable: fetched, cert wrong otherwise", idao.ClaimUnavailable, valid, got(bad), choice{}, stepAbstain},
		{"unavailable: fetched, no verdict", idao.ClaimUnavailable, valid, finding{}, choice{}, stepRetry},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dp := &idao.Dispute{ID: types.Hash{1}, Claim: tc.claim, CertVerdict: tc.cert.Valid, CertDigest: tc.cert.Digest}
			c, s := decide(dp, tc.f)
			if s != tc.step || c != tc.want {
				t.Fatalf("decide = %+v %s, want %+v %s", c, s, tc.want, tc.step)
			}
			if s == stepSign {
				if err := chainAccepts(dp, c); err != "" {
					t.Fatalf("the chain would refuse %+v: %s", c, err)
				}
			}
		})
	}
}

// chainAccepts restates idao.checkJudgment, which is unexported.
func chainAccepts(dp *idao.Dispute, c choice) string {
	if !reasonFits(c.Verdict, c.Digest, c.Reason) {
		return "reason does not fit"
	}
	if !c.ForChallenger {
		if c.Verdict != dp.CertVerdict || c.Digest != dp.CertDigest {
			return "against without reproducing the certificate"
		}
		return ""
	}
	switch dp.Claim {
	case idao.ClaimWrongVerdict:
		if c.Verdict != dp.CertVerdict {
			return ""
		}
	case idao.ClaimWrongDigest:
		if c.Digest != dp.CertDigest {
			return ""
		}
	case idao.ClaimUnavailable:
		if !c.Verdict && c.Digest == idao.UnavailableResult.Digest {
			return ""
		}
	}
	return "for without the claimed error"
}

func TestFaults(t *testing.T) {
	if f, err := ParseFault("approve-all"); err != nil || f != ApproveAll {
		t.Fatalf("ParseFault(approve-all) = %q %v", f, err)
	}
	if f, err := ParseFault(""); err != nil || f != Honest {
		t.Fatalf("ParseFault(\"\") = %q %v", f, err)
	}
	if _, err := ParseFault("approve"); err == nil {
		t.Fatal("an unknown fault parses")
	}

	valid := verify.Result{Valid: true, Digest: types.Hash{0xAA}}
	bad := verify.Invalid("row 3: bad")
	honest, byz := conductOf(Honest), conductOf(ApproveAll)
	votes := []struct {
		name   string
		res    verify.Result
		ok     bool
		honest verify.Result
		hok    bool
		byz    verify.Result
	}{
		{"valid", valid, true, valid, true, valid},
		{"invalid", bad, true, bad, true, ApproveResult},
		{"no verdict", verify.Result{}, false, verify.Result{}, false, ApproveResult},
	}
	for _, v := range votes {
		if r, ok := honest.vote(v.res, v.ok); r != v.honest || ok != v.hok {
			t.Errorf("%s: honest votes %+v %v", v.name, r, ok)
		}
		if r, ok := byz.vote(v.res, v.ok); r != v.byz || !ok {
			t.Errorf("%s: approve-all votes %+v %v", v.name, r, ok)
		}
	}
	if ApproveResult.Reason != "" || !ApproveResult.Valid {
		t.Fatalf("ApproveResult %+v is not a valid verdict without reason", ApproveResult)
	}

	// In a dispute, approve-all defends the certificate without looking.
	art := &idao.Artifact{Digest: bad.Digest, Reason: bad.Reason}
	for _, claim := range []idao.Claim{idao.ClaimWrongVerdict, idao.ClaimWrongDigest, idao.ClaimUnavailable} {
		dp := &idao.Dispute{Claim: claim, CertVerdict: false, CertDigest: bad.Digest}
		c, s := byz.rule(dp, art, func() finding { t.Fatal("approve-all looked at the bytes"); return finding{} })
		if s != stepSign || c.ForChallenger || chainAccepts(dp, c) != "" {
			t.Fatalf("claim %s: approve-all rules %+v %s", claim, c, s)
		}
	}
}
