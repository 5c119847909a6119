package bls

import (
	"crypto/rand"

	blst "github.com/supranational/blst/bindings/go"

	"github.com/lazchain/lazchain/internal/crypto"
)

// batchRandBits is the size of the random scalars that keep the signatures
// of a batch from cancelling each other: a forger succeeds with
// probability 2^-64 per attempt.
const batchRandBits = 64

// VerifyAggregates checks many aggregate signatures at once: sigs[i] by
// the keys pks[i] over msgs[i]. Each signature is weighted by a fresh
// random scalar before the pairings are multiplied, so one invalid
// signature cannot be offset by another (plain aggregation of signatures
// over distinct messages would allow that). It costs one Miller loop per
// signature and one final exponentiation for the lot, against two and one
// per signature checked alone. False means at least one is invalid.
func (Scheme) VerifyAggregates(pks [][]crypto.PublicKey, msgs [][]byte, sigs [][]byte) bool {
	n := len(sigs)
	if n == 0 || len(pks) != n || len(msgs) != n {
		return false
	}
	aggPks := make([]*blst.P2Affine, n)
	ss := make([]*blst.P1Affine, n)
	ms := make([]blst.Message, n)
	for i := range sigs {
		var ok bool
		if aggPks[i], ok = aggregateKeys(pks[i]); !ok {
			return false
		}
		if ss[i], ok = decodeSig(sigs[i]); !ok {
			return false
		}
		ms[i] = msgs[i]
	}
	randFn := func(s *blst.Scalar) {
		// blst takes a full-width scalar and uses its low batchRandBits.
		// Only the low bytes are random, so the value is always a valid,
		// non-zero scalar.
		var b [blst.BLST_SCALAR_BYTES]byte
		if _, err := rand.Read(b[len(b)-batchRandBits/8:]); err != nil {
			panic("crypto/rand failed: " + err.Error()) // no safe way to go on
		}
		b[len(b)-1] |= 1
		if s.FromBEndian(b[:]) == nil {
			panic("bls: random scalar rejected") // a 64-bit value always fits
		}
	}
	return new(blst.P1Affine).MultipleAggregateVerify(ss, false, aggPks, false, ms, dstSig, randFn, batchRandBits)
}
