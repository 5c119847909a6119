package crypto

import "errors"

// ErrBadKey reports bytes that do not decode to a valid public key.
var ErrBadKey = errors.New("crypto: invalid public key")

// PublicKey is a decoded, validated public key. Decoding is expensive for
// BLS (point decompression and subgroup check), so validator sets decode
// once and keep the result.
type PublicKey interface {
	Bytes() []byte
}

// Signer holds one secret key. In lazchain only package safety owns a
// Signer for consensus messages; everything else gets a Scheme.
type Signer interface {
	PublicKey() PublicKey
	Sign(msg []byte) []byte
	// ProvePossession signs the public key itself under a separate domain so
	// that a registered key cannot be a rogue combination of others' keys.
	ProvePossession() []byte
}

// Scheme verifies and aggregates signatures. Implementations must be safe
// for concurrent use.
type Scheme interface {
	Name() string
	ParsePublicKey(b []byte) (PublicKey, error)
	Verify(pk PublicKey, msg, sig []byte) bool
	// VerifyAggregate checks one aggregate signature by pks over one msg.
	// Its cost does not grow with len(pks) beyond adding the keys.
	VerifyAggregate(pks []PublicKey, msg, sig []byte) bool
	// VerifyAggregateMulti checks one aggregate where pks[i] signed msgs[i].
	// Callers group equal messages first, so cost grows with the number of
	// distinct messages, not signers.
	VerifyAggregateMulti(pks [][]PublicKey, msgs [][]byte, sig []byte) bool
	Aggregate(sigs [][]byte) ([]byte, error)
	VerifyPossession(pk PublicKey, proof []byte) bool
	SignatureSize() int
}
