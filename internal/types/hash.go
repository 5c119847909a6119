package types

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Hash is a SHA-256 digest: block ids, payload roots, transaction ids.
type Hash [32]byte

// ZeroHash is the parent of a genesis block.
var ZeroHash Hash

// HashOf returns SHA-256 of b.
func HashOf(b []byte) Hash { return sha256.Sum256(b) }

// String returns the full hex digest.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Short returns the first 8 hex digits, for logs.
func (h Hash) Short() string { return hex.EncodeToString(h[:4]) }

// IsZero reports whether h is the zero hash.
func (h Hash) IsZero() bool { return h == ZeroHash }

// ParseHash reads the full hex digest String writes.
func ParseHash(s string) (Hash, error) {
	var h Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("%q is not a 64-digit hex hash", s)
	}
	copy(h[:], b)
	return h, nil
}
