package merkle

// Tree keeps every level of a tree over leaves, so a proof costs O(log n)
// instead of the O(n) of Prove: a store serving a blob's chunks one by one
// would otherwise hash the whole tree again for each.
//
// Pairing neighbours level by level and carrying a lone last node up
// unchanged builds the same tree as RFC 6962's split at the largest power
// of two, so its roots and proofs are Root's and Prove's.
type Tree struct {
	levels [][]Hash // levels[0] is the leaves; the last holds the root
}

// NewTree builds the tree over leaves, which it keeps and must not be
// modified. It hashes about n nodes and stores about n more hashes.
func NewTree(leaves []Hash) *Tree {
	t := &Tree{levels: [][]Hash{leaves}}
	for lv := leaves; len(lv) > 1; {
		up := make([]Hash, (len(lv)+1)/2)
		for j := range up {
			if 2*j+1 < len(lv) {
				up[j] = nodeHash(lv[2*j], lv[2*j+1])
			} else {
				up[j] = lv[2*j]
			}
		}
		t.levels = append(t.levels, up)
		lv = up
	}
	return t
}

// Root is Root(leaves).
func (t *Tree) Root() Hash {
	top := t.levels[len(t.levels)-1]
	if len(top) == 0 {
		return emptyRoot
	}
	return top[0]
}

// Prove is Prove(leaves, i).
func (t *Tree) Prove(i uint64) (Proof, error) {
	n := uint64(len(t.levels[0]))
	if i >= n {
		return Proof{}, fmtLeaf(i, n)
	}
	p := Proof{Index: i, Count: n}
	j := i
	for _, lv := range t.levels[:len(t.levels)-1] {
		if sib := j ^ 1; sib < uint64(len(lv)) {
			p.Path = append(p.Path, lv[sib])
		} // else j is a lone last node, carried up with no sibling
		j >>= 1
	}
	return p, nil
}

// Size is the number of hashes the tree holds beyond its leaves.
func (t *Tree) Size() int {
	n := 0
	for _, lv := range t.levels[1:] {
		n += len(lv)
	}
	return n
}
