package smt

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

// The reference below recomputes a root straight from the definition in
// doc.go, with its own hashing and no tree: a set of one key is its leaf, a
// larger set is the inner node over its halves split by the next bit. The
// tests compare the tree against it.

// refKeyHash and refValueHash hash by plain concatenation, independently of
// tagHasher.
func refKeyHash(key []byte) types.Hash {
	return sha256.Sum256(append([]byte("lazchain/smt/key/v1"), key...))
}

func refValueHash(value []byte) types.Hash {
	return sha256.Sum256(append([]byte("lazchain/smt/value/v1"), value...))
}

// refEntry is a leaf's content in the reference.
type refEntry struct{ kh, vh types.Hash }

func refBit(h types.Hash, i int) int { return int(h[i/8]>>(7-i%8)) & 1 }

func refRoot(set []refEntry, depth int) types.Hash {
	switch len(set) {
	case 0:
		return types.Hash{}
	case 1:
		b := append([]byte{0}, set[0].kh[:]...)
		return sha256.Sum256(append(b, set[0].vh[:]...))
	}
	var l, r []refEntry
	for _, e := range set {
		if refBit(e.kh, depth) == 0 {
			l = append(l, e)
		} else {
			r = append(r, e)
		}
	}
	lh, rh := refRoot(l, depth+1), refRoot(r, depth+1)
	return sha256.Sum256(append(append([]byte{1}, lh[:]...), rh[:]...))
}

// model is the key-value map a tree should hold.
type model map[string][]byte

func (m model) apply(kvs []KV) {
	for _, kv := range kvs {
		if kv.Value == nil {
			delete(m, string(kv.Key))
		} else {
			m[string(kv.Key)] = kv.Value
		}
	}
}

func (m model) root() types.Hash {
	set := make([]refEntry, 0, len(m))
	for k, v := range m {
		set = append(set, refEntry{refKeyHash([]byte(k)), refValueHash(v)})
	}
	return refRoot(set, 0)
}

func (m model) keys() []string { return slices.Sorted(maps.Keys(m)) }

// gen makes deterministic keys and values from a seed.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{rand.New(rand.NewPCG(seed, 0x5a17))} }

func (g *gen) bytes(min, max int) []byte {
	b := make([]byte, min+g.r.IntN(max-min+1))
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
	return b
}

// key has at least 8 random bytes, so a generator's keys do not repeat.
func (g *gen) key() []byte   { return g.bytes(8, 40) }
func (g *gen) value() []byte { return g.bytes(0, 24) }

// inserts returns n new random keys with random values.
func (g *gen) inserts(n int) []KV {
	kvs := make([]KV, n)
	for i := range kvs {
		kvs[i] = KV{Key: g.key(), Value: g.value()}
	}
	return kvs
}

func mustUpdate(t testing.TB, tr *Tree, kvs []KV) *Tree {
	t.Helper()
	nt, err := tr.Update(kvs)
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	return nt
}

// checkTree checks tr against m: root, length, every Get, and the shape
// rules of doc.go (stored hashes right, leaves on their own path, no inner
// node with a lone leaf and an empty side).
func checkTree(t *testing.T, tr *Tree, m model) {
	t.Helper()
	if got, want := tr.Root(), m.root(); got != want {
		t.Fatalf("root %s, reference %s (%d keys)", got.Short(), want.Short(), len(m))
	}
	if tr.Len() != len(m) {
		t.Fatalf("Len %d, want %d", tr.Len(), len(m))
	}
	for k, v := range m {
		if vh, ok := tr.Get([]byte(k)); !ok || vh != refValueHash(v) {
			t.Fatalf("Get(%x) = %s, %v; want %s", k, vh.Short(), ok, refValueHash(v).Short())
		}
	}
	leaves, h, err := checkShape(tr.root, 0, types.Hash{})
	if err != nil {
		t.Fatal(err)
	}
	if leaves != len(m) || h != tr.Root() {
		t.Fatalf("tree has %d leaves and hashes to %s; want %d, %s", leaves, h.Short(), len(m), tr.Root().Short())
	}
}

// checkShape walks n, at depth on path prefix, and returns its leaf count
// and its hash, recomputed from the leaves up.
func checkShape(n node, depth int, prefix types.Hash) (int, types.Hash, error) {
	switch x := n.(type) {
	case nil:
		return 0, types.Hash{}, nil
	case *leafNode:
		if x.hash != LeafHash(x.keyHash, x.valueHash) {
			return 0, x.hash, fmt.Errorf("leaf %s at depth %d has a stale hash", x.keyHash.Short(), depth)
		}
		if commonPrefix(&x.keyHash, &prefix) < depth {
			return 0, x.hash, fmt.Errorf("leaf %s at depth %d is off its path", x.keyHash.Short(), depth)
		}
		return 1, x.hash, nil
	case *innerNode:
		right := prefix
		right[depth/8] |= 0x80 >> (depth % 8)
		nl, lh, err := checkShape(x.left, depth+1, prefix)
		if err != nil {
			return 0, lh, err
		}
		nr, rh, err := checkShape(x.right, depth+1, right)
		if err != nil {
			return 0, rh, err
		}
		if lh != x.leftHash || rh != x.rightHash {
			return 0, lh, fmt.Errorf("inner node at depth %d keeps a stale child hash", depth)
		}
		if nl+nr < 2 {
			return 0, lh, fmt.Errorf("inner node at depth %d holds %d keys; a lone leaf should have moved up", depth, nl+nr)
		}
		return nl + nr, InnerHash(lh, rh), nil
	}
	return 0, types.Hash{}, fmt.Errorf("unknown node type %T", n)
}

// flipBit returns h with bit i inverted: a hash sharing exactly i leading
// bits with h.
func flipBit(h types.Hash, i int) types.Hash {
	h[i/8] ^= 0x80 >> (i % 8)
	return h
}

// hashedOps builds ops straight from key hashes, for crafted paths.
func hashedOps(entries ...refEntry) []op {
	ops := make([]op, len(entries))
	for i, e := range entries {
		ops[i] = op{kh: e.kh, vh: e.vh, seq: int32(i)}
	}
	return ops
}
