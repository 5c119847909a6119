package smt

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/lazchain/lazchain/internal/types"
)

// Errors that verification and decoding wrap; callers branch on them with
// errors.Is.
var (
	// ErrMalformed: the proof breaks a structural rule (see doc.go); no
	// tree makes a proof like it.
	ErrMalformed = errors.New("smt: malformed proof")
	// ErrRootMismatch: the proof is well formed but does not lead to the
	// root: wrong key, wrong value, wrong root, or a proof for another key.
	ErrRootMismatch = errors.New("smt: proof does not lead to the root")
	// ErrOtherLeaf: an inclusion proof ends at another key's leaf, which
	// is how an exclusion proof ends.
	ErrOtherLeaf = errors.New("smt: proof ends at another key's leaf")
	// ErrKeyPresent: an exclusion proof ends at the key's own leaf.
	ErrKeyPresent = errors.New("smt: proof ends at the key's own leaf")
	// ErrOffPath: an exclusion proof's other leaf is not on the key's
	// path: it shares too few leading bits with the key hash.
	ErrOffPath = errors.New("smt: proof's other leaf is not on the key's path")
)

// Proof shows where a key's path ends in one version of the tree. See
// doc.go for how to verify it and for its encoding.
type Proof struct {
	// Depth is how many inner nodes the path passes: 0..MaxDepth.
	Depth int
	// Bitmap has bit i (bit 7-i%8 of byte i/8) set when the sibling at
	// depth i is non-empty; bits at or beyond Depth are zero.
	Bitmap [MaxDepth / 8]byte
	// Siblings are the non-empty siblings, root first, one per set bit.
	Siblings []types.Hash
	// Other is the leaf of another key where the path ends, or nil when it
	// ends at an empty subtree or at the key's own leaf.
	Other *Leaf
}

// Leaf is a leaf's content: the key's path and its value's hash.
type Leaf struct {
	KeyHash, ValueHash types.Hash
}

// Prove returns the proof for key in this version: of inclusion if key is
// present, of exclusion if not.
func (t *Tree) Prove(key []byte) *Proof { return t.proveHashed(KeyHash(key)) }

func (t *Tree) proveHashed(kh types.Hash) *Proof {
	// Paths in a random tree of n keys are about log2(n)+2 deep; 32 covers
	// billions of keys with one allocation.
	p := &Proof{Siblings: make([]types.Hash, 0, 32)}
	n := t.root
	for {
		x, ok := n.(*innerNode)
		if !ok {
			break
		}
		var sib types.Hash
		n, sib = x.left, x.rightHash
		if bit(&kh, p.Depth) == 1 {
			n, sib = x.right, x.leftHash
		}
		if !sib.IsZero() {
			p.setBit(p.Depth)
			p.Siblings = append(p.Siblings, sib)
		}
		p.Depth++
	}
	if x, ok := n.(*leafNode); ok && x.keyHash != kh {
		p.Other = &Leaf{KeyHash: x.keyHash, ValueHash: x.valueHash}
	}
	return p
}

func (p *Proof) setBit(i int) { p.Bitmap[i>>3] |= 0x80 >> uint(i&7) }

func (p *Proof) hasBit(i int) bool { return p.Bitmap[i>>3]&(0x80>>uint(i&7)) != 0 }

// validate checks the rules that hold for every proof Prove makes,
// whatever the key: the ones DecodeProof enforces.
func (p *Proof) validate() error {
	if p == nil {
		return fmt.Errorf("nil proof: %w", ErrMalformed)
	}
	if p.Depth < 0 || p.Depth > MaxDepth {
		return fmt.Errorf("depth %d outside 0..%d: %w", p.Depth, MaxDepth, ErrMalformed)
	}
	for i, b := range p.Bitmap {
		if extra := b & tailMask(p.Depth-i*8); extra != 0 {
			return fmt.Errorf("bitmap byte %d has bits %08b at or beyond depth %d: %w", i, extra, p.Depth, ErrMalformed)
		}
	}
	if set := p.bitCount(); set != len(p.Siblings) {
		return fmt.Errorf("bitmap has %d siblings, list has %d: %w", set, len(p.Siblings), ErrMalformed)
	}
	for i, s := range p.Siblings {
		if s.IsZero() {
			return fmt.Errorf("sibling %d is zero; empty siblings belong in the bitmap only: %w", i, ErrMalformed)
		}
	}
	if p.Depth > 0 && !p.hasBit(p.Depth-1) {
		return fmt.Errorf("deepest sibling (depth %d) is empty, so the path would end one level higher: %w", p.Depth-1, ErrMalformed)
	}
	return nil
}

// bitCount returns the number of set bits in the bitmap.
func (p *Proof) bitCount() int {
	n := 0
	for _, b := range p.Bitmap {
		n += bits.OnesCount8(b)
	}
	return n
}

// tailMask returns the mask of the bits of a bitmap byte at positions n
// and above within the byte: all of them if n <= 0, none if n >= 8.
func tailMask(n int) byte {
	switch {
	case n <= 0:
		return 0xff
	case n >= 8:
		return 0
	}
	return 0xff >> uint(n)
}

// fold hashes h, the node where kh's path ends, up through the siblings to
// the root. p must be valid.
func (p *Proof) fold(kh *types.Hash, h types.Hash) types.Hash {
	next := len(p.Siblings)
	for depth := p.Depth - 1; depth >= 0; depth-- {
		var sib types.Hash
		if p.hasBit(depth) {
			next--
			sib = p.Siblings[next]
		}
		if bit(kh, depth) == 0 {
			h = hashPair(innerPrefix, &h, &sib)
		} else {
			h = hashPair(innerPrefix, &sib, &h)
		}
	}
	return h
}
