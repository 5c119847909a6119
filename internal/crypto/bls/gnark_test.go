package bls

// A minimal BLS (min-sig, same DST) over gnark-crypto, kept in a _test.go file
// so gnark-crypto never becomes a production dependency. It exists to
// benchmark both libraries in one run and to cross-check encodings and
// hash-to-curve against an independent implementation.

import (
	"bytes"
	"errors"
	"math/big"
	"strings"
	"testing"

	bls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
	blst "github.com/supranational/blst/bindings/go"

	"github.com/lazchain/lazchain/internal/crypto"
)

// gnarkNegG2 is -g2, so that e(sig, -g2)·e(H(m), pk) = 1 is one PairingCheck.
var gnarkNegG2 = func() bls12381.G2Affine {
	_, _, _, g2 := bls12381.Generators()
	var neg bls12381.G2Affine
	neg.Neg(&g2)
	return neg
}()

type gnarkKey struct {
	sk big.Int
	pk bls12381.G2Affine
}

// gnarkKeyFrom imports a blst secret key, so both libraries hold the same key.
func gnarkKeyFrom(k *SecretKey) *gnarkKey {
	g := &gnarkKey{}
	g.sk.SetBytes(k.Bytes())
	g.pk.ScalarMultiplicationBase(&g.sk)
	return g
}

func gnarkHash(msg []byte) bls12381.G1Affine {
	h, err := bls12381.HashToG1(msg, dstSig)
	if err != nil { // only possible for an over-long DST
		panic(err)
	}
	return h
}

func (k *gnarkKey) sign(msg []byte) []byte {
	h := gnarkHash(msg)
	var sig bls12381.G1Affine
	sig.ScalarMultiplication(&h, &k.sk)
	b := sig.Bytes()
	return b[:]
}

// gnarkVerify decodes sig with gnark's subgroup check, like Scheme.Verify
// does with blst, so the two benchmarks measure the same work.
func gnarkVerify(pk *bls12381.G2Affine, msg, sig []byte) bool {
	var s bls12381.G1Affine
	if len(sig) != SignatureSize {
		return false
	}
	if _, err := s.SetBytes(sig); err != nil {
		return false
	}
	ok, err := bls12381.PairingCheck(
		[]bls12381.G1Affine{s, gnarkHash(msg)},
		[]bls12381.G2Affine{gnarkNegG2, *pk})
	return err == nil && ok
}

func gnarkVerifyAggregate(pks []bls12381.G2Affine, msg, sig []byte) bool {
	var acc bls12381.G2Jac
	for i := range pks {
		acc.AddMixed(&pks[i])
	}
	var agg bls12381.G2Affine
	agg.FromJacobian(&acc)
	return gnarkVerify(&agg, msg, sig)
}

func gnarkAggregate(t testing.TB, sigs [][]byte) []byte {
	var acc bls12381.G1Jac
	for _, b := range sigs {
		var s bls12381.G1Affine
		if _, err := s.SetBytes(b); err != nil {
			t.Fatalf("gnark decode signature: %v", err)
		}
		acc.AddMixed(&s)
	}
	var agg bls12381.G1Affine
	agg.FromJacobian(&acc)
	b := agg.Bytes()
	return b[:]
}

func gnarkKeys(keys []*SecretKey) ([]*gnarkKey, []bls12381.G2Affine) {
	gks := make([]*gnarkKey, len(keys))
	pks := make([]bls12381.G2Affine, len(keys))
	for i, k := range keys {
		gks[i] = gnarkKeyFrom(k)
		pks[i] = gks[i].pk
	}
	return gks, pks
}

func TestGnarkVerifiesItsOwnSignatures(t *testing.T) {
	gks, pks := gnarkKeys(testKeys(t, 8))
	msg := []byte("gnark self check")
	sig := gks[0].sign(msg)
	if !gnarkVerify(&pks[0], msg, sig) {
		t.Fatal("gnark rejected its own signature")
	}
	if gnarkVerify(&pks[1], msg, sig) || gnarkVerify(&pks[0], []byte("other"), sig) ||
		gnarkVerify(&pks[0], msg, flipBit(sig, 8*(SignatureSize-1))) {
		t.Fatal("gnark accepted a wrong key, message or tampered signature")
	}
	sigs := make([][]byte, len(gks))
	for i, k := range gks {
		sigs[i] = k.sign(msg)
	}
	agg := gnarkAggregate(t, sigs)
	if !gnarkVerifyAggregate(pks, msg, agg) || gnarkVerifyAggregate(pks[1:], msg, agg) {
		t.Fatal("gnark aggregate verification is wrong")
	}
}

// TestGnarkBlstCrossCheck: same key, same DST, deterministic signing, and the
// same (ZCash/IETF) compressed encoding, so every byte must agree.
func TestGnarkBlstCrossCheck(t *testing.T) {
	s := Scheme{}
	keys := testKeys(t, 4)
	gks, gpks := gnarkKeys(keys)
	for _, msg := range [][]byte{nil, []byte("a"), bytes.Repeat([]byte("long message "), 40)} {
		gh, bh := gnarkHash(msg), blst.HashToG1(msg, dstSig).ToAffine()
		if gb := gh.Bytes(); !bytes.Equal(gb[:], bh.Compress()) {
			t.Fatalf("hash-to-G1 disagrees for %q", msg)
		}
		for i, k := range keys {
			if gb := gpks[i].Bytes(); !bytes.Equal(gb[:], k.PublicKey().Bytes()) {
				t.Fatalf("key %d: public key encodings differ", i)
			}
			bsig, gsig := k.Sign(msg), gks[i].sign(msg)
			if !bytes.Equal(bsig, gsig) {
				t.Fatalf("key %d: signatures differ", i)
			}
			if !gnarkVerify(&gpks[i], msg, bsig) || !s.Verify(k.PublicKey(), msg, gsig) {
				t.Fatalf("key %d: cross-verification failed", i)
			}
		}
		agg, err := s.Aggregate(signAll(keys, msg))
		if err != nil {
			t.Fatal(err)
		}
		if !gnarkVerifyAggregate(gpks, msg, agg) {
			t.Fatal("gnark rejected a blst aggregate")
		}
	}
}

// TestRejectsPointsOutsideSubgroup uses gnark to build curve points outside
// the prime-order subgroups, which blst cannot produce from its public API.
func TestRejectsPointsOutsideSubgroup(t *testing.T) {
	var x fp.Element
	x.SetUint64(7)
	var j1 bls12381.G1Jac = bls12381.GeneratePointNotInG1(x)
	var p1 bls12381.G1Affine
	p1.FromJacobian(&j1)
	if !p1.IsOnCurve() || p1.IsInSubGroup() {
		t.Fatal("test setup: expected an on-curve G1 point outside the subgroup")
	}
	enc1 := p1.Bytes()

	var u bls12381.E2
	u.A0.SetUint64(5)
	u.A1.SetUint64(3)
	j2 := bls12381.GeneratePointNotInG2(u)
	var p2 bls12381.G2Affine
	p2.FromJacobian(&j2)
	if !p2.IsOnCurve() || p2.IsInSubGroup() {
		t.Fatal("test setup: expected an on-curve G2 point outside the subgroup")
	}
	enc2 := p2.Bytes()
	if _, err := (Scheme{}).ParsePublicKey(enc2[:]); !errors.Is(err, crypto.ErrBadKey) || !strings.Contains(err.Error(), "subgroup") {
		t.Fatalf("ParsePublicKey(non-subgroup point) err = %v, want ErrBadKey for the subgroup", err)
	}
	k := testKey(t, 30)
	s := Scheme{}
	pks := []crypto.PublicKey{k.PublicKey()}
	for _, kept := range []bool{false, true} {
		forgetSigned()
		if kept {
			k.Sign([]byte("m")) // the check then takes verifyHashed
		}
		if s.Verify(k.PublicKey(), []byte("m"), enc1[:]) || s.VerifyPossession(k.PublicKey(), enc1[:]) ||
			s.VerifyAggregate(pks, []byte("m"), enc1[:]) ||
			s.VerifyAggregateMulti([][]crypto.PublicKey{pks}, [][]byte{[]byte("m")}, enc1[:]) ||
			s.VerifyAggregates([][]crypto.PublicKey{pks}, [][]byte{[]byte("m")}, [][]byte{enc1[:]}) {
			t.Fatalf("kept=%v: a signature outside G1 was accepted", kept)
		}
	}
	if _, err := s.Aggregate([][]byte{k.Sign([]byte("m")), enc1[:]}); err == nil {
		t.Fatal("Aggregate accepted a signature outside G1")
	}
}

func BenchmarkGnarkSign(b *testing.B) {
	k := gnarkKeyFrom(testKey(b, 0))
	for b.Loop() {
		k.sign(benchMsg)
	}
}

func BenchmarkGnarkVerify(b *testing.B) {
	k := gnarkKeyFrom(testKey(b, 0))
	sig := k.sign(benchMsg)
	for b.Loop() {
		if !gnarkVerify(&k.pk, benchMsg, sig) {
			b.Fatal("verify failed")
		}
	}
}

func BenchmarkGnarkVerifyAggregate64(b *testing.B) {
	keys := testKeys(b, 64)
	_, pks := gnarkKeys(keys)
	agg := gnarkAggregate(b, signAll(keys, benchMsg))
	for b.Loop() {
		if !gnarkVerifyAggregate(pks, benchMsg, agg) {
			b.Fatal("verify failed")
		}
	}
}
