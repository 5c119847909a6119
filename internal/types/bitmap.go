package types

import (
	"fmt"
	"math/bits"

	"github.com/lazchain/lazchain/internal/codec"
)

// Bitmap marks validators by index: bit i of byte i/8, least significant
// first. Its length is exactly ceil(n/8) for a set of n validators, and bits
// past n must be zero, so each signer set has one encoding.
type Bitmap []byte

// NewBitmap returns an empty bitmap sized for n validators.
func NewBitmap(n int) Bitmap { return make(Bitmap, (n+7)/8) }

// Set marks index i.
func (b Bitmap) Set(i int) { b[i/8] |= 1 << (i % 8) }

// Has reports whether index i is marked.
func (b Bitmap) Has(i int) bool {
	return i >= 0 && i/8 < len(b) && b[i/8]&(1<<(i%8)) != 0
}

// Count returns the number of marked indices.
func (b Bitmap) Count() int {
	c := 0
	for _, x := range b {
		c += bits.OnesCount8(x)
	}
	return c
}

// Indices returns the marked indices in increasing order.
func (b Bitmap) Indices() []int {
	out := make([]int, 0, b.Count())
	for i := 0; i < len(b)*8; i++ {
		if b.Has(i) {
			out = append(out, i)
		}
	}
	return out
}

// CheckSize fails unless b is sized for exactly n validators with no stray
// bits set past n.
func (b Bitmap) CheckSize(n int) error {
	if len(b) != (n+7)/8 {
		return fmt.Errorf("bitmap of %d bytes for %d validators: %w", len(b), n, codec.ErrInvalid)
	}
	for i := n; i < len(b)*8; i++ {
		if b.Has(i) {
			return fmt.Errorf("bitmap marks index %d past %d validators: %w", i, n, codec.ErrInvalid)
		}
	}
	return nil
}
