package bls

import (
	"bytes"
	"fmt"
	"math/big"
	"testing"

	blst "github.com/supranational/blst/bindings/go"

	"github.com/lazchain/lazchain/internal/crypto"
)

// forgetSigned empties the cache of signed messages' hashes, so the next
// checks take blst's own path.
func forgetSigned() { signedHashes = hashCache{} }

// Sign in two steps gives blst's Sign, bit for bit.
func TestSignMatchesBlst(t *testing.T) {
	for i, k := range testKeys(t, 5) {
		for _, msg := range []string{"", "vote 1", "a longer message of a proposal for round 77"} {
			want := new(blst.P1Affine).Sign(k.sk, []byte(msg), dstSig).Compress()
			if got := k.Sign([]byte(msg)); !bytes.Equal(got, want) {
				t.Fatalf("key %d, message %q: Sign differs from blst", i, msg)
			}
		}
	}
}

// negatedKey returns the key whose scalar is the order minus k's: its
// public key is -pk, so the two sum to the identity.
func negatedKey(t *testing.T, k *SecretKey) *SecretKey {
	r, _ := new(big.Int).SetString("73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001", 16)
	neg := new(big.Int).Sub(r, new(big.Int).SetBytes(k.Bytes())).FillBytes(make([]byte, 32))
	nk, err := SecretKeyFromBytes(neg)
	if err != nil {
		t.Fatal(err)
	}
	return nk
}

// An aggregate check gives the same answer whether the message's hash was
// kept from signing it or blst hashes it again.
func TestVerifyAggregateWithKeptHash(t *testing.T) {
	s := Scheme{}
	keys := testKeys(t, 5)
	signers, outsider := keys[:4], keys[4]
	msg := []byte("qc for round 12")
	agg, err := s.Aggregate(signAll(signers, msg))
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := s.Aggregate(append(signAll(signers[:3], msg), signers[3].Sign([]byte("another round"))))
	if err != nil {
		t.Fatal(err)
	}
	identity := make([]byte, SignatureSize)
	identity[0] = 0xc0 // compressed point at infinity
	cancelling := []crypto.PublicKey{keys[0].PublicKey(), negatedKey(t, keys[0]).PublicKey()}
	cases := []struct {
		name string
		pks  []crypto.PublicKey
		sig  []byte
		want bool
	}{
		{"valid", pubKeys(signers), agg, true},
		{"one signature on another message", pubKeys(signers), wrong, false},
		{"missing signer", pubKeys(signers[:3]), agg, false},
		{"outsider replaces signer", append([]crypto.PublicKey{outsider.PublicKey()}, pubKeys(signers[1:])...), agg, false},
		{"keys summing to the identity, identity signature", cancelling, identity, false},
	}
	for _, kept := range []bool{true, false} {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s/kept=%v", tc.name, kept), func(t *testing.T) {
				forgetSigned()
				if kept {
					outsider.Sign(msg) // any signer of msg in this process keeps its hash
					if signedHashes.get(msg) == nil {
						t.Fatal("the hash of a signed message was not kept")
					}
				}
				if got := s.VerifyAggregate(tc.pks, msg, tc.sig); got != tc.want {
					t.Fatalf("VerifyAggregate = %v, want %v", got, tc.want)
				}
			})
		}
	}
}

// The cache holds the last hashCacheSize messages and forgets older ones.
func TestHashCacheKeepsTheLatest(t *testing.T) {
	forgetSigned()
	k := testKeys(t, 1)[0]
	for i := 0; i < hashCacheSize+3; i++ {
		k.Sign([]byte(fmt.Sprint("message ", i)))
	}
	for i := 0; i < hashCacheSize+3; i++ {
		kept := signedHashes.get([]byte(fmt.Sprint("message ", i))) != nil
		if want := i >= 3; kept != want {
			t.Errorf("message %d kept = %v, want %v", i, kept, want)
		}
	}
}
