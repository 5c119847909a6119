package bls

import (
	"testing"

	blst "github.com/supranational/blst/bindings/go"

	"github.com/lazchain/lazchain/internal/crypto"
)

func TestProofOfPossession(t *testing.T) {
	s := Scheme{}
	alice, bob := testKey(t, 10), testKey(t, 11)
	proof := alice.ProvePossession()
	cases := []struct {
		name  string
		pk    crypto.PublicKey
		proof []byte
		want  bool
	}{
		{"valid", alice.PublicKey(), proof, true},
		{"proof of another key", alice.PublicKey(), bob.ProvePossession(), false},
		{"proof checked against another key", bob.PublicKey(), proof, false},
		// Same key, same bytes, but signed under the signature DST: domain
		// separation must keep a signature from serving as a PoP.
		{"signature over own key", alice.PublicKey(), alice.Sign(alice.PublicKey().Bytes()), false},
		{"tampered", alice.PublicKey(), flipBit(proof, 8*(SignatureSize-1)), false},
		{"garbage", alice.PublicKey(), make([]byte, SignatureSize), false},
		{"nil key", nil, proof, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.VerifyPossession(tc.pk, tc.proof); got != tc.want {
				t.Fatalf("VerifyPossession = %v, want %v", got, tc.want)
			}
		})
	}
	// The converse: a PoP is not a signature over the key's bytes.
	if s.Verify(alice.PublicKey(), alice.PublicKey().Bytes(), proof) {
		t.Fatal("a proof of possession verified as an ordinary signature")
	}
}

// TestRogueKeyNeedsPoP shows why registration must check proofs of
// possession. An attacker who sees honest key H publishes R = A - H, where A
// is a key the attacker owns. R parses fine, the aggregate key H + R = A, and
// the attacker alone forges an "H and R both signed" aggregate. What the
// attacker cannot do is prove possession of R, since nobody knows its scalar.
func TestRogueKeyNeedsPoP(t *testing.T) {
	s := Scheme{}
	honest, attacker := testKey(t, 20), testKey(t, 21)
	h := honest.PublicKey().(*PublicKey)
	a := attacker.PublicKey().(*PublicKey)

	var rogue blst.P2
	rogue.FromAffine(&a.point)
	rogue.SubAssign(&h.point)
	roguePk, err := s.ParsePublicKey(rogue.ToAffine().Compress())
	if err != nil {
		t.Fatalf("rogue key should be a well-formed point: %v", err)
	}

	msg := []byte("honest never signed this")
	forged := attacker.Sign(msg)
	if !s.VerifyAggregate([]crypto.PublicKey{h, roguePk}, msg, forged) {
		t.Fatal("expected the rogue-key forgery to pass aggregate verification without PoP")
	}
	// Best effort proofs the attacker can produce for R all fail.
	for _, attempt := range [][]byte{attacker.ProvePossession(), honest.ProvePossession(), forged} {
		if s.VerifyPossession(roguePk, attempt) {
			t.Fatal("rogue key passed proof of possession")
		}
	}
}
