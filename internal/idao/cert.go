package idao

import (
	"encoding/binary"

	"github.com/lazchain/lazchain/internal/crypto"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/types"
)

// VoteBytes is what a committee member signs for a verdict.
func VoteBytes(chainID, name string, artifact types.Hash, verdict bool, digest types.Hash, rotation uint64) []byte {
	b := make([]byte, 0, 128)
	b = append(b, "lazchain/idao/vote/v1\x00"...)
	b = append(b, chainID...)
	b = append(b, 0)
	b = append(b, name...)
	b = append(b, 0)
	b = append(b, artifact[:]...)
	if verdict {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = append(b, digest[:]...)
	return binary.BigEndian.AppendUint64(b, rotation)
}

// CheckCertificate checks an attestation against c under p: the bitmap
// fits the committee, its stake passes the threshold, and the aggregate
// signature verifies. It returns the signed stake.
func CheckCertificate(chainID string, c *Committee, p Policy, a Attest) (uint64, *Failure) {
	return CheckSigned(c, p, a.Signers, a.Sig, VoteBytes(chainID, c.IDAO, a.Artifact, a.Verdict, a.Digest, a.Rotation))
}

// CheckSigned checks that signers of c, with more than p's threshold of
// its stake, made the aggregate signature sig over msg.
func CheckSigned(c *Committee, p Policy, signers types.Bitmap, sig, msg []byte) (uint64, *Failure) {
	a := struct {
		Signers types.Bitmap
		Sig     []byte
	}{signers, sig}
	if err := a.Signers.CheckSize(len(c.Seats)); err != nil {
		return 0, fail(BadCertificate, "bitmap: %v", err)
	}
	keys := c.publicKeys()
	var signed uint64
	pks := make([]crypto.PublicKey, 0, len(c.Seats))
	for _, i := range a.Signers.Indices() {
		if keys[i] == nil {
			return 0, fail(BadCertificate, "member %d has an unusable key", i)
		}
		pks = append(pks, keys[i])
		signed += c.Seats[i].Power
	}
	if total := c.Power(); !p.Reached(signed, total) {
		return 0, fail(BadCertificate, "signed stake %d of %d does not exceed %d/%d", signed, total, p.ThresholdNum, p.ThresholdDen)
	}
	if !(bls.Scheme{}).VerifyAggregate(pks, msg, a.Sig) {
		return 0, fail(BadCertificate, "aggregate signature does not verify")
	}
	return signed, nil
}

// jailedSigner refuses a certificate that a jailed validator signed. A
// committee keeps its seats for its rotations, but jail (for a verdict
// overturned, equivocation or downtime) takes a validator off duty at
// once: without this, the signers of a verdict just overturned kept
// certifying, and collecting fees, for up to two more rotations.
// Aggregators leave jailed members' votes out.
func jailedSigner(ctx Ctx, c *Committee, signers types.Bitmap) *Failure {
	if ctx.Staking == nil {
		return nil
	}
	for _, i := range signers.Indices() {
		if i >= len(c.Seats) {
			return nil // CheckSigned refuses the bitmap
		}
		if v, ok := ctx.Staking.Validator(c.Seats[i].Operator); ok && v.Jailed {
			return fail(BadCertificate, "member %d (%s) is jailed and may not sign", i, c.Seats[i].Operator)
		}
	}
	return nil
}
