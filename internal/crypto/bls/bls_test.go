package bls

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto"
)

// testKey derives the i-th deterministic test key.
func testKey(tb testing.TB, i int) *SecretKey {
	tb.Helper()
	seed := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("lazchain/bls/test"), uint64(i)))
	k, err := GenerateKey(seed[:])
	if err != nil {
		tb.Fatalf("GenerateKey(%d): %v", i, err)
	}
	return k
}

func testKeys(tb testing.TB, n int) []*SecretKey {
	keys := make([]*SecretKey, n)
	for i := range keys {
		keys[i] = testKey(tb, i)
	}
	return keys
}

func pubKeys(keys []*SecretKey) []crypto.PublicKey {
	pks := make([]crypto.PublicKey, len(keys))
	for i, k := range keys {
		pks[i] = k.PublicKey()
	}
	return pks
}

func signAll(keys []*SecretKey, msg []byte) [][]byte {
	sigs := make([][]byte, len(keys))
	for i, k := range keys {
		sigs[i] = k.Sign(msg)
	}
	return sigs
}

func flipBit(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i/8] ^= 1 << (i % 8)
	return c
}

func TestSignVerify(t *testing.T) {
	alice, bob := testKey(t, 1), testKey(t, 2)
	msg := []byte("block 42")
	sig := alice.Sign(msg)
	cases := []struct {
		name string
		pk   crypto.PublicKey
		msg  []byte
		sig  []byte
		want bool
	}{
		{"valid", alice.PublicKey(), msg, sig, true},
		{"empty message", alice.PublicKey(), nil, alice.Sign(nil), true},
		{"wrong key", bob.PublicKey(), msg, sig, false},
		{"wrong message", alice.PublicKey(), []byte("block 43"), sig, false},
		{"tampered low bit", alice.PublicKey(), msg, flipBit(sig, 8*(SignatureSize-1)), false},
		{"tampered sign bit", alice.PublicKey(), msg, flipBit(sig, 5), false},
		{"truncated", alice.PublicKey(), msg, sig[:SignatureSize-1], false},
		{"extended", alice.PublicKey(), msg, append(bytes.Clone(sig), 0), false},
		{"identity signature", alice.PublicKey(), msg, identitySig(), false},
		{"nil key", nil, msg, sig, false},
		{"nil *PublicKey", (*PublicKey)(nil), msg, sig, false},
		{"foreign key type", foreignKey{}, msg, sig, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Scheme{}).Verify(tc.pk, tc.msg, tc.sig); got != tc.want {
				t.Fatalf("Verify = %v, want %v", got, tc.want)
			}
		})
	}
}

type foreignKey struct{}

func (foreignKey) Bytes() []byte { return make([]byte, PublicKeySize) }

func identitySig() []byte {
	b := make([]byte, SignatureSize)
	b[0] = 0xc0 // compressed + infinity flags
	return b
}

func TestDeterministicKeysAndSignatures(t *testing.T) {
	a, b := testKey(t, 7), testKey(t, 7)
	if !bytes.Equal(a.Bytes(), b.Bytes()) || !bytes.Equal(a.Sign([]byte("m")), b.Sign([]byte("m"))) {
		t.Fatal("same seed must give the same key and signatures")
	}
	if len(a.Sign(nil)) != (Scheme{}).SignatureSize() {
		t.Fatal("signature length differs from SignatureSize")
	}
	if (Scheme{}).Name() != "bls12-381" {
		t.Fatal("unexpected Name")
	}
}

func TestSecretKeyEncoding(t *testing.T) {
	k := testKey(t, 3)
	back, err := SecretKeyFromBytes(k.Bytes())
	if err != nil {
		t.Fatalf("round trip: %v", err)
	}
	if !bytes.Equal(back.PublicKey().Bytes(), k.PublicKey().Bytes()) {
		t.Fatal("round trip changed the public key")
	}
	order := []byte{ // r, the G1/G2 group order, big-endian
		0x73, 0xed, 0xa7, 0x53, 0x29, 0x9d, 0x7d, 0x48, 0x33, 0x39, 0xd8, 0x08, 0x09, 0xa1, 0xd8, 0x05,
		0x53, 0xbd, 0xa4, 0x02, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
	}
	for name, b := range map[string][]byte{
		"zero":  make([]byte, SecretKeySize),
		"order": order,
		"short": k.Bytes()[:31],
		"long":  append(k.Bytes(), 0),
		"max":   bytes.Repeat([]byte{0xff}, SecretKeySize),
	} {
		if _, err := SecretKeyFromBytes(b); err == nil {
			t.Errorf("%s: SecretKeyFromBytes accepted an invalid scalar", name)
		}
	}
	if _, err := GenerateKey(make([]byte, MinSeedSize-1)); err == nil {
		t.Error("GenerateKey accepted a short seed")
	}
}

func TestParsePublicKey(t *testing.T) {
	k := testKey(t, 4)
	pk, err := (Scheme{}).ParsePublicKey(k.PublicKey().Bytes())
	if err != nil || !bytes.Equal(pk.Bytes(), k.PublicKey().Bytes()) {
		t.Fatalf("valid key: %v", err)
	}
	if !(Scheme{}).Verify(pk, []byte("x"), k.Sign([]byte("x"))) {
		t.Fatal("parsed key does not verify its owner's signature")
	}
	identity := make([]byte, PublicKeySize)
	identity[0] = 0xc0
	cases := map[string][]byte{
		"identity":       identity,
		"all zero":       make([]byte, PublicKeySize),
		"empty":          nil,
		"short":          k.PublicKey().Bytes()[:PublicKeySize-1],
		"uncompressed":   make([]byte, 2*PublicKeySize),
		"x not on curve": notOnCurve(t),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := (Scheme{}).ParsePublicKey(b); !errors.Is(err, crypto.ErrBadKey) {
				t.Fatalf("err = %v, want ErrBadKey", err)
			}
		})
	}
}

// notOnCurve returns a compressed encoding whose x has no matching y.
func notOnCurve(t *testing.T) []byte {
	for x := byte(1); x < 255; x++ {
		b := make([]byte, PublicKeySize)
		b[0], b[PublicKeySize-1] = 0x80, x
		if _, err := (Scheme{}).ParsePublicKey(b); err != nil && strings.Contains(err.Error(), "not a compressed point on the G2 curve") {
			return b
		}
	}
	t.Fatal("no off-curve x found")
	return nil
}

// TestGarbageNeverPanics feeds every length 0..200 of random bytes, and the
// same with compression flags forced, to every entry point.
func TestGarbageNeverPanics(t *testing.T) {
	rng := rand.New(rand.NewChaCha8([32]byte{'g', 'a', 'r', 'b', 'a', 'g', 'e'}))
	s := Scheme{}
	k := testKey(t, 5)
	pk := k.PublicKey()
	for n := 0; n <= 200; n++ {
		for _, flags := range []byte{0, 0x80, 0xa0, 0xc0} {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			if n > 0 && flags != 0 {
				b[0] = b[0]&0x1f | flags
			}
			if _, err := s.ParsePublicKey(b); err == nil && n != PublicKeySize {
				t.Fatalf("len %d: parsed a key of the wrong length", n)
			}
			if s.Verify(pk, []byte("m"), b) || s.VerifyPossession(pk, b) ||
				s.VerifyAggregate([]crypto.PublicKey{pk}, []byte("m"), b) ||
				s.VerifyAggregateMulti([][]crypto.PublicKey{{pk}}, [][]byte{[]byte("m")}, b) {
				t.Fatalf("len %d flags %#x: garbage accepted", n, flags)
			}
			if _, err := s.Aggregate([][]byte{k.Sign([]byte("m")), b}); err == nil && n != SignatureSize {
				t.Fatalf("len %d: aggregated a signature of the wrong length", n)
			}
		}
	}
}
