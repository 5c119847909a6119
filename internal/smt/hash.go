package smt

import (
	"crypto/sha256"
	"math/bits"

	"github.com/lazchain/lazchain/internal/types"
)

// Domain tags for key and value hashes, and the prefixes that keep leaves
// and inner nodes apart (both hash 65 bytes). See doc.go.
const (
	KeyTag      = "lazchain/smt/key/v1"
	ValueTag    = "lazchain/smt/value/v1"
	leafPrefix  = 0x00
	innerPrefix = 0x01
)

// MaxDepth is the length of a path in bits: the deepest a leaf can sit.
const MaxDepth = 256

// KeyHash returns the path of key: SHA-256(KeyTag || key).
func KeyHash(key []byte) types.Hash { return tagged(KeyTag, key) }

// ValueHash returns what a leaf commits to for value: SHA-256(ValueTag ||
// value). A nil and an empty value hash the same.
func ValueHash(value []byte) types.Hash { return tagged(ValueTag, value) }

// tagged hashes tag || data, in a buffer on the stack unless data is long.
func tagged(tag string, data []byte) types.Hash {
	var buf [128]byte
	return sha256.Sum256(append(append(buf[:0], tag...), data...))
}

// LeafHash returns the hash of the leaf for a key hash and a value hash.
func LeafHash(keyHash, valueHash types.Hash) types.Hash {
	return hashPair(leafPrefix, &keyHash, &valueHash)
}

// InnerHash returns the hash of an inner node from its children's hashes.
func InnerHash(left, right types.Hash) types.Hash {
	return hashPair(innerPrefix, &left, &right)
}

func hashPair(prefix byte, a, b *types.Hash) types.Hash {
	var buf [65]byte
	buf[0] = prefix
	copy(buf[1:33], a[:])
	copy(buf[33:], b[:])
	return sha256.Sum256(buf[:])
}

// bit returns bit i of h, most significant bit of h[0] first.
func bit(h *types.Hash, i int) int {
	return int(h[i>>3]>>(7-uint(i&7))) & 1
}

// commonPrefix returns how many leading bits a and b share (256 if equal).
func commonPrefix(a, b *types.Hash) int {
	for i := range a {
		if x := a[i] ^ b[i]; x != 0 {
			return i*8 + bits.LeadingZeros8(x)
		}
	}
	return MaxDepth
}
