package idao

import (
	"crypto/sha256"
	"math/bits"
	"slices"

	"github.com/lazchain/lazchain/internal/staking"
)

// mulGreater reports a*b > c*d without overflow.
func mulGreater(a, b, c, d uint64) bool {
	h1, l1 := bits.Mul64(a, b)
	h2, l2 := bits.Mul64(c, d)
	return h1 > h2 || (h1 == h2 && l1 > l2)
}

func add(a, b uint64) (uint64, bool) {
	s, c := bits.Add64(a, b, 0)
	return s, c == 0
}

func sha256Tag(s string) [32]byte { return sha256.Sum256([]byte(s)) }

func slicesSearch(as []staking.Address, a staking.Address) (int, bool) {
	return slices.BinarySearchFunc(as, a, cmpAddr)
}

// mul returns a*b and whether it did not overflow.
func mul(a, b uint64) (uint64, bool) {
	hi, lo := bits.Mul64(a, b)
	return lo, hi == 0
}
