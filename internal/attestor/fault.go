package attestor

import (
	"crypto/sha256"
	"fmt"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/verify"
)

// Fault makes a member Byzantine, for fault-injection tests. The zero
// value is an honest member. The names are those of config.toml's
// idao.fault.
type Fault string

const (
	Honest Fault = ""
	// ApproveAll votes every artifact valid. An artifact its verifier finds
	// valid gets the honest vote; every other one (found invalid, no
	// verdict, bytes not fetched) gets ApproveResult, the same for every
	// artifact, so members with this fault cast identical votes and certify
	// together. In disputes it always signs against the challenger,
	// reproducing the disputed certificate.
	ApproveAll Fault = "approve-all"
)

// ApproveResult is what an ApproveAll member votes for an artifact its
// verifier did not find valid: verdict valid, no reason, and a digest no
// honest verifier computes.
var ApproveResult = verify.Result{Valid: true, Digest: sha256.Sum256([]byte("lazchain/fault/approve-all/v1"))}

// ParseFault checks a fault name.
func ParseFault(s string) (Fault, error) {
	switch f := Fault(s); f {
	case Honest, ApproveAll:
		return f, nil
	}
	return Honest, fmt.Errorf("idao fault %q: want \"\" (honest) or %q", s, ApproveAll)
}

// conduct is how a member turns what it found into what it signs: honest,
// or one of the faults. Only conduct differs between an honest and a
// Byzantine member; fetching, signing and sending are the same code.
type conduct struct {
	// vote is the result a member votes on, given its verifier's (ok false
	// when it reached none); ok false means it does not vote.
	vote func(res verify.Result, ok bool) (verify.Result, bool)
	// rule is the side a validator signs in dispute dp over art; find
	// fetches and verifies, and is called only if the conduct needs it.
	rule func(dp *idao.Dispute, art *idao.Artifact, find func() finding) (choice, step)
}

func conductOf(f Fault) conduct {
	if f == ApproveAll {
		return conduct{vote: approveAll, rule: defendCertificate}
	}
	return conduct{
		vote: func(res verify.Result, ok bool) (verify.Result, bool) { return res, ok },
		rule: func(dp *idao.Dispute, _ *idao.Artifact, find func() finding) (choice, step) {
			return decide(dp, find())
		},
	}
}

func approveAll(res verify.Result, ok bool) (verify.Result, bool) {
	if ok && res.Valid {
		return res, true
	}
	return ApproveResult, true
}

// defendCertificate signs against the challenger whatever the bytes say,
// with the disputed certificate's verdict and digest (and the artifact's
// reason, which hashes to that digest while the dispute is open).
func defendCertificate(dp *idao.Dispute, art *idao.Artifact, _ func() finding) (choice, step) {
	c := choice{Verdict: dp.CertVerdict, Digest: dp.CertDigest}
	if !c.Verdict && art != nil && art.Digest == dp.CertDigest {
		c.Reason = art.Reason
	}
	return c, stepSign
}
