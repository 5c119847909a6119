package smt

import "github.com/lazchain/lazchain/internal/types"

// node is a subtree: nil (empty), *leafNode or *innerNode. Nodes are never
// changed after they are made, which is what lets versions share them.
type node interface{ isNode() }

type leafNode struct {
	hash      types.Hash
	keyHash   types.Hash
	valueHash types.Hash
}

// innerNode has at least two keys below it; one child may be nil (empty)
// only if the other is an inner node, since a lone leaf moves up. It keeps
// its children's hashes rather than its own: rehashing a node on an
// updated path then needs no visit to the untouched sibling, which in a
// large tree is a cache miss. Its own hash lives in its parent (or Tree).
type innerNode struct {
	left, right         node
	leftHash, rightHash types.Hash
}

func (*leafNode) isNode()  {}
func (*innerNode) isNode() {}

func newLeaf(keyHash, valueHash types.Hash) *leafNode {
	return &leafNode{hash: LeafHash(keyHash, valueHash), keyHash: keyHash, valueHash: valueHash}
}

// newInner returns the inner node over the given children and its hash.
func newInner(left node, lh types.Hash, right node, rh types.Hash) (*innerNode, types.Hash) {
	n := &innerNode{left: left, right: right, leftHash: lh, rightHash: rh}
	return n, hashPair(innerPrefix, &n.leftHash, &n.rightHash)
}

// Tree is one immutable version of the tree. The zero value is the empty
// tree. All methods are safe to call from many goroutines at once.
type Tree struct {
	root     node
	rootHash types.Hash
	n        int
}

// New returns the empty tree.
func New() *Tree { return &Tree{} }

// Root returns the commitment to every key and value: zero for no keys.
func (t *Tree) Root() types.Hash { return t.rootHash }

// Len returns the number of keys.
func (t *Tree) Len() int { return t.n }

// Get returns the hash of key's value, and whether key is present.
func (t *Tree) Get(key []byte) (valueHash types.Hash, ok bool) {
	return t.getHashed(KeyHash(key))
}

func (t *Tree) getHashed(kh types.Hash) (types.Hash, bool) {
	n := t.root
	for depth := 0; ; depth++ {
		switch x := n.(type) {
		case *innerNode:
			n = x.left
			if bit(&kh, depth) == 1 {
				n = x.right
			}
		case *leafNode:
			if x.keyHash == kh {
				return x.valueHash, true
			}
			return types.ZeroHash, false
		default:
			return types.ZeroHash, false
		}
	}
}
