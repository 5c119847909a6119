package idao

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/crypto"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/quorum"
	"github.com/lazchain/lazchain/internal/verify"
)

// UnavailableResult is the verdict a ruling for an unavailability claim
// must carry: invalid, with this reason, because bytes nobody can fetch
// cannot have been verified.
var UnavailableResult = verify.Invalid("%s", "data unavailable: the escalation committee could not fetch the artifact's bytes")

// execRuling settles an open dispute with the current validator set's
// ruling. Everything is checked before the first write.
func (s *State) execRuling(ctx Ctx, body []byte) *Failure {
	u, err := DecodeRuling(body)
	if err != nil {
		return badBody(err)
	}
	dp, a, f := s.rulable(ctx, u)
	if f != nil {
		return f
	}
	if f := checkJudgment(dp, u); f != nil {
		return f
	}
	signed, total, f := s.checkRulingSig(ctx, u)
	if f != nil {
		return f
	}
	c, ok := s.certCommittee(ctx, a)
	if !ok {
		return fail(UnknownRotation, "no committee of %q for rotation %d in the history", a.Submit.IDAO, a.CertRotation)
	}
	j := &Judgment{ForChallenger: u.ForChallenger, Verdict: u.Verdict, Digest: u.Digest, Reason: u.Reason, Epoch: u.Epoch,
		Signers: u.Signers, Sig: u.Sig, SignedPower: signed, TotalPower: total}
	if u.ForChallenger {
		s.uphold(ctx, dp, a, c, j)
	} else {
		s.reject(ctx, dp, a, c, j)
	}
	return nil
}

// rulable finds the open dispute u rules on and its artifact.
func (s *State) rulable(ctx Ctx, u Ruling) (*Dispute, *Artifact, *Failure) {
	dp, ok := ctx.Records.Dispute(u.Dispute)
	if !ok {
		return nil, nil, fail(UnknownDispute, "no dispute %x", u.Dispute)
	}
	if _, open := s.open[dp.ID]; !open || dp.Status != DisputeOpen || ctx.Height > dp.Deadline {
		return nil, nil, fail(DisputeClosed, "dispute %s is %s (deadline %d)", hexShort(dp.ID[:]), dp.Status, dp.Deadline)
	}
	if e := ctx.Staking.Epoch(); u.Epoch != e {
		return nil, nil, fail(WrongEpoch, "ruling signed for epoch %d; the current set is epoch %d's", u.Epoch, e)
	}
	a, ok := ctx.Records.Artifact(dp.Artifact)
	if !ok {
		return nil, nil, fail(UnknownArtifact, "no artifact %x for dispute %s", dp.Artifact, hexShort(dp.ID[:]))
	}
	return dp, a, nil
}

// checkJudgment checks that the ruling's side agrees with what it says
// the verifier gives. Against the challenger, the re-run must reproduce the
// certificate exactly: a bond is only paid to signers of a right
// certificate. For the challenger, the error claimed must be there: a
// different verdict, a different digest, or (unavailable) the verdict
// UnavailableResult. A committee that finds the data available but the
// certificate wrong in another way than claimed can rule neither way; the
// dispute expires, the bond comes back, and a dispute over the right
// claim can still be opened within the window.
func checkJudgment(dp *Dispute, u Ruling) *Failure {
	if f := checkReason(u.Verdict, u.Digest, u.Reason); f != nil {
		return fail(BadRuling, "%s", f.Reason)
	}
	if !u.ForChallenger {
		if u.Verdict != dp.CertVerdict || u.Digest != dp.CertDigest {
			return fail(BadRuling, "a ruling against the challenger must reproduce the certificate's verdict and digest")
		}
		return nil
	}
	var ok bool
	switch dp.Claim {
	case ClaimWrongVerdict:
		ok = u.Verdict != dp.CertVerdict
	case ClaimWrongDigest:
		ok = u.Digest != dp.CertDigest
	case ClaimUnavailable:
		ok = !u.Verdict && u.Digest == UnavailableResult.Digest
	}
	if !ok {
		return fail(BadRuling, "a ruling for the challenger on claim %s must show that error (verdict %v digest %x)", dp.Claim, u.Verdict, u.Digest[:8])
	}
	return nil
}

// checkRulingSig checks that signers of the current active set with more
// than two thirds of its stake made u's aggregate signature. It returns
// the signed and the total stake.
func (s *State) checkRulingSig(ctx Ctx, u Ruling) (signed, total uint64, f *Failure) {
	set := ctx.Staking.Active()
	if err := u.Signers.CheckSize(len(set)); err != nil {
		return 0, 0, fail(BadCertificate, "bitmap: %v", err)
	}
	powers := make([]uint64, len(set))
	for i, m := range set {
		powers[i] = m.Power
	}
	total, err := quorum.Total(powers)
	if err != nil {
		return 0, 0, fail(BadCertificate, "active set: %v", err)
	}
	pks := make([]crypto.PublicKey, 0, len(set))
	for _, i := range u.Signers.Indices() {
		pk, err := (bls.Scheme{}).ParsePublicKey(set[i].BLSKey)
		if err != nil {
			return 0, 0, fail(BadCertificate, "validator %d has an unusable key", i)
		}
		pks = append(pks, pk)
		signed += set[i].Power
	}
	if !quorum.Reached(signed, total) {
		return 0, 0, fail(BadCertificate, "signed stake %d of %d is not more than two thirds (need %d)", signed, total, quorum.Threshold(total))
	}
	msg := RulingSigningBytes(s.chainID, u.Dispute, u.ForChallenger, u.Verdict, u.Digest, u.Epoch)
	if !(bls.Scheme{}).VerifyAggregate(pks, msg, u.Sig) {
		return 0, 0, fail(BadCertificate, "aggregate signature does not verify")
	}
	return signed, total, nil
}

// certCommittee is the committee a's certificate's bitmap indexes.
func (s *State) certCommittee(ctx Ctx, a *Artifact) (*Committee, bool) {
	if c, ok := s.Committee(a.Submit.IDAO, a.CertRotation); ok {
		return c, true
	}
	return ctx.Records.Committee(a.Submit.IDAO, a.CertRotation)
}

// signerSeats are the seats of c that signed a's certificate.
func signerSeats(a *Artifact, c *Committee) []Seat {
	var out []Seat
	for _, i := range a.Signers.Indices() {
		if i < len(c.Seats) {
			out = append(out, c.Seats[i])
		}
	}
	return out
}

// uphold overturns a: the ruling's verdict replaces the certificate's,
// every signer of the wrong certificate is slashed and jailed with the
// challenger as reporter, the bond comes back, and the artifact's other
// open disputes are superseded.
func (s *State) uphold(ctx Ctx, dp *Dispute, a *Artifact, c *Committee, j *Judgment) {
	s.payOut(ctx, dp.Challenger, dp.Bond)
	before := ctx.Bank.Balance(dp.Challenger)
	challenger := dp.Challenger
	for _, seat := range signerSeats(a, c) {
		// The offence is the certificate, at the height it landed: entries
		// complete by then were not behind it (LockSlashable).
		if cut := ctx.Staking.SlashFor(ctx.Bank, ctx.Height, a.AttestHeight, seat.Operator, s.params.SlashBps, true, &challenger); cut > 0 {
			j.Slashed += cut
			j.SlashedCount++
		}
	}
	j.Reward = ctx.Bank.Balance(dp.Challenger) - before
	s.closeDispute(ctx, dp, DisputeUpheld, j)
	old := fmt.Sprintf("%s digest %x", verdictWord(a.Verdict), a.Digest[:8])
	a.Status, a.Verdict, a.Digest, a.Reason, a.OverturnedBy = Overturned, j.Verdict, j.Digest, j.Reason, dp.ID
	ctx.Records.PutArtifact(a)
	ctx.Records.Emit(Event{Type: "dispute.ruled", IDAO: dp.IDAO, Artifact: a.ID,
		Detail: fmt.Sprintf("dispute %s for challenger: epoch %d stake %d/%d slashed %d signers %d tokens reward %d bond %d returned",
			hexShort(dp.ID[:]), j.Epoch, j.SignedPower, j.TotalPower, j.SlashedCount, j.Slashed, j.Reward, dp.Bond)})
	ctx.Records.Emit(Event{Type: "artifact.overturned", IDAO: dp.IDAO, Artifact: a.ID,
		Detail: fmt.Sprintf("%s -> %s digest %x by dispute %s", old, verdictWord(a.Verdict), a.Digest[:8], hexShort(dp.ID[:]))})
	for _, id := range a.Disputes {
		if _, open := s.open[id]; open {
			s.supersede(ctx, id)
		}
	}
}

// reject upholds the certificate: the bond goes to its signers in
// proportion to their committee stake, since they bore the cost of the
// dispute.
func (s *State) reject(ctx Ctx, dp *Dispute, a *Artifact, c *Committee, j *Judgment) {
	paid := s.forfeit(ctx, dp, signerSeats(a, c))
	s.closeDispute(ctx, dp, DisputeRejected, j)
	s.restore(ctx, a)
	ctx.Records.Emit(Event{Type: "dispute.ruled", IDAO: dp.IDAO, Artifact: a.ID,
		Detail: fmt.Sprintf("dispute %s against challenger: epoch %d stake %d/%d bond %d paid to %d signers; artifact %s",
			hexShort(dp.ID[:]), j.Epoch, j.SignedPower, j.TotalPower, dp.Bond, paid, a.Status)})
}

func verdictWord(v bool) string {
	if v {
		return "valid"
	}
	return "invalid"
}
