package attestor

import (
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// choice is a side of a dispute with the result that supports it: what a
// validator signs (idao.RulingSigningBytes) and what the ruling carries.
type choice struct {
	ForChallenger bool
	Verdict       bool
	Digest        types.Hash
	Reason        string // for an invalid verdict; hashes to Digest
}

// finding is what a validator learned about a disputed artifact.
type finding struct {
	// Unavailable is true when not every chunk could be fetched; for an
	// unavailability claim, within the bound (Config.UnavailableAfter).
	Unavailable bool
	// Result is the verifier's result; nil when it reached none.
	Result *verify.Result
}

// step is what a validator does with a finding.
type step uint8

const (
	stepRetry   step = iota // no usable finding yet: try again later
	stepAbstain             // the finding supports no side the chain accepts: never sign
	stepSign                // sign the choice
)

func (s step) String() string {
	return [...]string{"retry", "abstain", "sign"}[s]
}

// decide is the honest ruling on dp given f. It follows the chain's rules
// (idao.checkJudgment): a ruling against the challenger must reproduce the
// certificate's verdict and digest exactly; a ruling for the challenger
// must show the claimed error. A validator whose own result fits neither
// abstains; the dispute then expires unless others rule.
func decide(dp *idao.Dispute, f finding) (choice, step) {
	if f.Unavailable {
		if dp.Claim == idao.ClaimUnavailable {
			u := idao.UnavailableResult
			return choice{ForChallenger: true, Verdict: u.Valid, Digest: u.Digest, Reason: u.Reason}, stepSign
		}
		return choice{}, stepRetry
	}
	if f.Result == nil {
		return choice{}, stepRetry // no verdict, and no proof the data is missing
	}
	r := *f.Result
	mine := choice{Verdict: r.Valid, Digest: r.Digest}
	if !r.Valid {
		mine.Reason = r.Reason
	}
	if r.Valid == dp.CertVerdict && r.Digest == dp.CertDigest {
		return mine, stepSign // against: the certificate is right
	}
	mine.ForChallenger = true
	switch dp.Claim {
	case idao.ClaimWrongVerdict:
		if r.Valid != dp.CertVerdict {
			return mine, stepSign
		}
	case idao.ClaimWrongDigest:
		if r.Digest != dp.CertDigest {
			return mine, stepSign
		}
	}
	// Wrong in another way than claimed, or (unavailable) the bytes are
	// here and the certificate is wrong anyway: no ruling fits.
	return choice{}, stepAbstain
}
