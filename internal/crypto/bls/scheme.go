package bls

import (
	"errors"
	"fmt"

	blst "github.com/supranational/blst/bindings/go"

	"github.com/lazchain/lazchain/internal/crypto"
)

// Scheme implements crypto.Scheme for BLS12-381 min-sig with proofs of
// possession. It has no state, so the zero value is ready and safe for
// concurrent use.
type Scheme struct{}

var _ crypto.Scheme = Scheme{}

// Name identifies the scheme in configuration and logs.
func (Scheme) Name() string { return "bls12-381" }

// SignatureSize is the length of every signature and aggregate signature.
func (Scheme) SignatureSize() int { return SignatureSize }

// ParsePublicKey decompresses b and checks that it is a non-identity point of
// the prime-order subgroup G2. Every failure wraps crypto.ErrBadKey. This is
// the expensive, once-per-validator step that lets aggregation skip checks.
func (Scheme) ParsePublicKey(b []byte) (crypto.PublicKey, error) {
	if len(b) != PublicKeySize {
		return nil, fmt.Errorf("%w: bls: got %d bytes, want %d", crypto.ErrBadKey, len(b), PublicKeySize)
	}
	pk := &PublicKey{}
	if pk.point.Uncompress(b) == nil {
		return nil, fmt.Errorf("%w: bls: not a compressed point on the G2 curve", crypto.ErrBadKey)
	}
	// The identity verifies every signature equal to the identity, and would
	// let a key silently drop out of an aggregate, so it is never a key.
	if pk.point.Equals(new(blst.P2Affine)) {
		return nil, fmt.Errorf("%w: bls: identity point", crypto.ErrBadKey)
	}
	// Points outside the subgroup enable small-subgroup attacks on
	// aggregates; decompression alone only proves the point is on the curve.
	if !pk.point.InG2() {
		return nil, fmt.Errorf("%w: bls: point not in the G2 subgroup", crypto.ErrBadKey)
	}
	pk.enc = pk.point.Compress()
	return pk, nil
}

// Verify checks one signature. Malformed signatures (wrong length, not on the
// curve, not in G1) and foreign key types yield false.
func (Scheme) Verify(pk crypto.PublicKey, msg, sig []byte) bool {
	key, ok := asKey(pk)
	if !ok {
		return false
	}
	s, ok := decodeSig(sig)
	if !ok {
		return false
	}
	// The signature is already group-checked and the key was validated at
	// parse time, so both checks are off here to avoid paying twice.
	return s.Verify(false, &key.point, false, msg, dstSig)
}

// VerifyAggregate checks sig against the sum of pks over msg: one pairing
// check no matter how many signers. This is the quorum certificate path.
func (Scheme) VerifyAggregate(pks []crypto.PublicKey, msg, sig []byte) bool {
	aggPk, ok := aggregateKeys(pks)
	if !ok {
		return false
	}
	s, ok := decodeSig(sig)
	if !ok {
		return false
	}
	if h := signedHashes.get(msg); h != nil {
		return verifyHashed(h, aggPk, s)
	}
	// blst rejects an identity aggregate key itself, so keys that cancel out
	// cannot make an arbitrary identity signature pass.
	return s.Verify(false, aggPk, false, msg, dstSig)
}

// VerifyAggregateMulti checks sig where the keys in pks[i] signed msgs[i].
// Groups with equal messages are merged before pairing: under the PoP scheme
// repeated messages are sound (e(a,H)·e(b,H) = e(a+b,H)), and merging makes the
// cost one Miller loop per distinct message.
func (Scheme) VerifyAggregateMulti(pks [][]crypto.PublicKey, msgs [][]byte, sig []byte) bool {
	if len(pks) == 0 || len(pks) != len(msgs) {
		return false
	}
	groups, distinct, ok := mergeGroups(pks, msgs)
	if !ok {
		return false
	}
	aggPks := make([]*blst.P2Affine, len(groups))
	for i, g := range groups {
		if aggPks[i], ok = aggregateKeys(g); !ok {
			return false
		}
	}
	s, ok := decodeSig(sig)
	if !ok {
		return false
	}
	return s.AggregateVerify(false, aggPks, false, distinct, dstSig)
}

// mergeGroups concatenates the key groups of equal messages, keeping the
// first-seen order of messages. An empty group is rejected: it would claim a
// message was signed by nobody.
func mergeGroups(pks [][]crypto.PublicKey, msgs [][]byte) ([][]crypto.PublicKey, []blst.Message, bool) {
	index := make(map[string]int, len(msgs))
	groups := make([][]crypto.PublicKey, 0, len(msgs))
	distinct := make([]blst.Message, 0, len(msgs))
	for i, m := range msgs {
		if len(pks[i]) == 0 {
			return nil, nil, false
		}
		j, seen := index[string(m)]
		if !seen {
			j = len(groups)
			index[string(m)] = j
			groups = append(groups, nil)
			distinct = append(distinct, m)
		}
		groups[j] = append(groups[j], pks[i]...)
	}
	return groups, distinct, true
}

// Aggregate sums signatures into one. Each input is decompressed and
// subgroup-checked: a point outside G1 could otherwise be hidden inside a sum.
func (Scheme) Aggregate(sigs [][]byte) ([]byte, error) {
	if len(sigs) == 0 {
		return nil, errors.New("bls: aggregate: no signatures")
	}
	// Fast path: blst decompresses and checks in parallel.
	var agg blst.P1Aggregate
	if agg.AggregateCompressed(sigs, true) {
		return agg.ToAffine().Compress(), nil
	}
	// Slow path only on failure, to name the offending signature.
	for i, s := range sigs {
		if _, ok := decodeSig(s); !ok {
			return nil, fmt.Errorf("bls: aggregate: signature %d of %d is malformed or not in G1", i, len(sigs))
		}
	}
	return nil, errors.New("bls: aggregate: blst rejected the signatures")
}

// VerifyPossession checks a proof produced by SecretKey.ProvePossession. It
// uses the PoP DST, so an ordinary signature over the key's bytes fails.
func (Scheme) VerifyPossession(pk crypto.PublicKey, proof []byte) bool {
	key, ok := asKey(pk)
	if !ok {
		return false
	}
	s, ok := decodeSig(proof)
	if !ok {
		return false
	}
	return s.Verify(false, &key.point, false, key.enc, dstPop)
}

// asKey accepts only this package's keys: a key from another Scheme was not
// validated by ParsePublicKey and must not reach blst.
func asKey(pk crypto.PublicKey) (*PublicKey, bool) {
	key, ok := pk.(*PublicKey)
	return key, ok && key != nil
}

// decodeSig decompresses a signature and checks G1 membership. The identity
// is allowed here (it is in the group); it simply fails any honest check.
func decodeSig(b []byte) (*blst.P1Affine, bool) {
	if len(b) != SignatureSize {
		return nil, false
	}
	s := new(blst.P1Affine)
	if s.Uncompress(b) == nil || !s.SigValidate(false) {
		return nil, false
	}
	return s, true
}

// aggregateKeys sums validated keys with blst's batch affine addition. No
// per-key group check: ParsePublicKey already did it.
func aggregateKeys(pks []crypto.PublicKey) (*blst.P2Affine, bool) {
	if len(pks) == 0 {
		return nil, false
	}
	points := make([]*blst.P2Affine, len(pks))
	for i, pk := range pks {
		key, ok := asKey(pk)
		if !ok {
			return nil, false
		}
		points[i] = &key.point
	}
	return blst.P2AffinesAdd(points).ToAffine(), true
}

// CheckOnOneThread makes blst run the Miller loops of one check on the
// calling goroutine. The node's hot path is a QC check whose message hash
// is cached (verifyHashed): blst otherwise runs its two Miller loops on two
// goroutines, losing the squarings they share, for 10-25% more CPU a
// check here (BENCHMARKS.md, "min-sig"). Batch and timeout-certificate
// checks then also run their loops one after another, and a lone
// signature check may wait a little longer on two cores. A validator is
// never idle, so it wants the cheaper checks; a one-off tool such as an
// audit keeps the parallel ones. blst keeps the setting in a plain
// variable: call this before any check starts.
func CheckOnOneThread() { blst.SetMaxProcs(1) }
