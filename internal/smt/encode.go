package smt

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/types"
)

// ProofVersion is the first byte of an encoded proof.
const ProofVersion = 1

// MaxProofSize is the longest encoding: a full bitmap, 256 siblings and
// another leaf.
const MaxProofSize = 1 + 2 + MaxDepth/8 + MaxDepth*32 + 1 + 64

// Encode returns p's canonical encoding (see doc.go). A proof that breaks
// the rules DecodeProof checks encodes to bytes DecodeProof rejects.
func (p *Proof) Encode() []byte {
	w := codec.NewWriter(3 + bitmapLen(p.Depth) + 32*len(p.Siblings) + 65)
	w.U8(ProofVersion)
	depth := p.Depth
	if depth < 0 || depth > MaxDepth {
		depth = 0xffff // out of range whatever it was, so decoding fails
	}
	w.U16(uint16(depth))
	w.Fixed(p.Bitmap[:bitmapLen(depth)])
	for _, s := range p.Siblings {
		w.Fixed(s[:])
	}
	w.Bool(p.Other != nil)
	if p.Other != nil {
		w.Fixed(p.Other.KeyHash[:])
		w.Fixed(p.Other.ValueHash[:])
	}
	return w.Bytes()
}

// bitmapLen is the number of bitmap bytes for depth, capped at the full
// bitmap.
func bitmapLen(depth int) int {
	return min(max(depth, 0)+7, MaxDepth) / 8
}

// DecodeProof parses what Encode writes and nothing else: it rejects an
// unknown version, trailing bytes and every non-canonical form. Errors wrap
// ErrMalformed, and the codec sentinel where one applies.
func DecodeProof(b []byte) (*Proof, error) {
	r := codec.NewReader(b)
	r.Version(ProofVersion)
	p := &Proof{Depth: int(r.U16())}
	if r.Err() == nil && p.Depth > MaxDepth {
		r.Fail(fmt.Errorf("depth %d over %d: %w", p.Depth, MaxDepth, codec.ErrInvalid))
	}
	copy(p.Bitmap[:], r.Fixed(bitmapLen(p.Depth)))
	// The count comes from the bitmap; check the bytes are there before
	// allocating for them.
	if n := p.bitCount(); n > 0 && r.Err() == nil {
		if r.Remaining() < 32*n {
			r.Fail(fmt.Errorf("bitmap has %d siblings, %d bytes left: %w", n, r.Remaining(), codec.ErrShort))
		}
		p.Siblings = make([]types.Hash, n)
		for i := range p.Siblings {
			copy(p.Siblings[i][:], r.Fixed(32))
		}
	}
	if r.Bool() {
		p.Other = &Leaf{}
		copy(p.Other.KeyHash[:], r.Fixed(32))
		copy(p.Other.ValueHash[:], r.Fixed(32))
	}
	if err := r.Finish(); err != nil {
		return nil, fmt.Errorf("smt: decode proof: %w: %w", ErrMalformed, err)
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("smt: decode proof: %w", err)
	}
	return p, nil
}
