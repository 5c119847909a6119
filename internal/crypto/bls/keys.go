package bls

import (
	"errors"
	"fmt"

	blst "github.com/supranational/blst/bindings/go"

	"github.com/lazchain/lazchain/internal/crypto"
)

// Encoded sizes, in bytes.
const (
	SecretKeySize = 32
	PublicKeySize = 96
	SignatureSize = 48
	// MinSeedSize is the smallest seed GenerateKey accepts; it is the IKM
	// minimum of the IETF KeyGen procedure.
	MinSeedSize = 32
)

// Domain separation tags of the IETF BLS proof-of-possession ciphersuite for
// min-sig. Using two tags is what stops a signature over a public key's bytes
// from being accepted as that key's proof of possession.
var (
	dstSig = []byte("BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_POP_")
	dstPop = []byte("BLS_POP_BLS12381G1_XMD:SHA-256_SSWU_RO_POP_")
)

var (
	_ crypto.Signer    = (*SecretKey)(nil)
	_ crypto.PublicKey = (*PublicKey)(nil)
)

// PublicKey is a decompressed, subgroup-checked, non-identity G2 point. The
// only ways to obtain one are Scheme.ParsePublicKey and SecretKey.PublicKey,
// so holders may aggregate it without re-validating.
type PublicKey struct {
	point blst.P2Affine
	enc   []byte // canonical compressed encoding
}

// Bytes returns the 96-byte compressed encoding. It returns a copy so that a
// caller cannot alter a key shared by a validator set.
func (pk *PublicKey) Bytes() []byte {
	return append([]byte(nil), pk.enc...)
}

// SecretKey is one BLS secret scalar together with its public key.
type SecretKey struct {
	sk *blst.SecretKey
	pk *PublicKey
}

// GenerateKey derives a secret key from seed with the IETF KeyGen procedure.
// The same seed always yields the same key, which deterministic tests rely on.
func GenerateKey(seed []byte) (*SecretKey, error) {
	if len(seed) < MinSeedSize {
		return nil, fmt.Errorf("bls: generate key: seed is %d bytes, need at least %d",
			len(seed), MinSeedSize)
	}
	sk := blst.KeyGen(seed)
	if sk == nil {
		return nil, errors.New("bls: generate key: blst rejected the seed")
	}
	return newSecretKey(sk), nil
}

// SecretKeyFromBytes decodes a 32-byte big-endian scalar, rejecting zero and
// values not below the group order.
func SecretKeyFromBytes(b []byte) (*SecretKey, error) {
	if len(b) != SecretKeySize {
		return nil, fmt.Errorf("bls: decode secret key: got %d bytes, want %d",
			len(b), SecretKeySize)
	}
	sk := new(blst.SecretKey).Deserialize(b)
	if sk == nil {
		return nil, errors.New("bls: decode secret key: scalar is zero or not below the group order")
	}
	return newSecretKey(sk), nil
}

func newSecretKey(sk *blst.SecretKey) *SecretKey {
	pk := &PublicKey{}
	pk.point.From(sk)
	pk.enc = pk.point.Compress()
	return &SecretKey{sk: sk, pk: pk}
}

// Bytes returns the 32-byte big-endian secret scalar.
func (k *SecretKey) Bytes() []byte {
	return k.sk.Serialize()
}

// PublicKey returns the key's *PublicKey.
func (k *SecretKey) PublicKey() crypto.PublicKey {
	return k.pk
}

// Sign returns the 48-byte compressed signature of msg under the signature
// DST. It is blst's Sign in two steps (hash to G1, then the same
// constant-time multiplication by the secret scalar), so that the hash can
// be kept for checking the aggregate of others' signatures on msg.
func (k *SecretKey) Sign(msg []byte) []byte {
	h := blst.HashToG1(msg, dstSig)
	signedHashes.put(msg, h.ToAffine())
	return h.Mult(k.sk).Compress()
}

// ProvePossession signs the compressed public key under the PoP DST (IETF
// PopProve).
func (k *SecretKey) ProvePossession() []byte {
	return new(blst.P1Affine).Sign(k.sk, k.pk.enc, dstPop).Compress()
}
