package merkle

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/bits"
)

// Hash is a SHA-256 digest.
type Hash = [32]byte

// ErrBadProof reports a proof that does not lead to the root.
var ErrBadProof = errors.New("merkle: proof does not match the root")

// emptyRoot is the root of no chunks: the hash of nothing, as in RFC 6962.
var emptyRoot = sha256.Sum256(nil)

// LeafHash hashes one chunk.
func LeafHash(data []byte) Hash {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(data)
	var out Hash
	h.Sum(out[:0])
	return out
}

func nodeHash(l, r Hash) Hash {
	var buf [65]byte
	buf[0] = 1
	copy(buf[1:], l[:])
	copy(buf[33:], r[:])
	return sha256.Sum256(buf[:])
}

// split is the size of the left subtree of a tree of n > 1 leaves: the
// largest power of two below n.
func split(n uint64) uint64 { return 1 << (bits.Len64(n-1) - 1) }

// Root returns the root over leaf hashes, in order.
func Root(leaves []Hash) Hash {
	if len(leaves) == 0 {
		return emptyRoot
	}
	return root(leaves)
}

func root(leaves []Hash) Hash {
	if len(leaves) == 1 {
		return leaves[0]
	}
	k := split(uint64(len(leaves)))
	return nodeHash(root(leaves[:k]), root(leaves[k:]))
}

// Proof places leaf Index among Count leaves: the sibling hashes from the
// leaf up to the root. As in RFC 6962 the root does not always bind Count
// (leaf 0 of 3 and of 4 can share a path), so Count must come from trusted
// metadata: for an artifact, its certified size and chunk size.
type Proof struct {
	Index uint64
	Count uint64
	Path  []Hash
}

// Prove returns the proof for leaf i.
func Prove(leaves []Hash, i uint64) (Proof, error) {
	n := uint64(len(leaves))
	if i >= n {
		return Proof{}, fmtLeaf(i, n)
	}
	p := Proof{Index: i, Count: n}
	p.Path = path(leaves, i, nil)
	return p, nil
}

func fmtLeaf(i, n uint64) error { return fmt.Errorf("merkle: leaf %d of %d", i, n) }

// path appends the audit path of leaf i, deepest sibling first.
func path(leaves []Hash, i uint64, out []Hash) []Hash {
	n := uint64(len(leaves))
	if n <= 1 {
		return out
	}
	k := split(n)
	if i < k {
		out = path(leaves[:k], i, out)
		return append(out, root(leaves[k:]))
	}
	out = path(leaves[k:], i-k, out)
	return append(out, root(leaves[:k]))
}

// Verify checks that leaf is leaf p.Index of p.Count under root, following
// RFC 9162's audit path verification.
func (p Proof) Verify(root, leaf Hash) error {
	if p.Index >= p.Count {
		return fmt.Errorf("leaf %d of %d: %w", p.Index, p.Count, ErrBadProof)
	}
	fn, sn := p.Index, p.Count-1
	r := leaf
	for _, sib := range p.Path {
		if sn == 0 {
			return fmt.Errorf("path longer than the tree: %w", ErrBadProof)
		}
		if fn&1 == 1 || fn == sn {
			r = nodeHash(sib, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = nodeHash(r, sib)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 || r != root {
		return ErrBadProof
	}
	return nil
}

// ProveAll returns the proof of every leaf, in O(n log n): proving leaves
// one by one recomputes subtree roots and costs O(n^2) for a tree.
func ProveAll(leaves []Hash) []Proof {
	n := uint64(len(leaves))
	proofs := make([]Proof, n)
	for i := range proofs {
		proofs[i] = Proof{Index: uint64(i), Count: n}
	}
	proveAll(leaves, proofs)
	return proofs
}

// proveAll fills in the paths of a subtree's leaves (deepest sibling
// first, as path does) and returns the subtree's root.
func proveAll(leaves []Hash, proofs []Proof) Hash {
	if len(leaves) == 1 {
		return leaves[0]
	}
	k := split(uint64(len(leaves)))
	l := proveAll(leaves[:k], proofs[:k])
	r := proveAll(leaves[k:], proofs[k:])
	for i := range proofs[:k] {
		proofs[i].Path = append(proofs[i].Path, r)
	}
	for i := range proofs[k:] {
		proofs[k+uint64(i)].Path = append(proofs[k+uint64(i)].Path, l)
	}
	return nodeHash(l, r)
}
