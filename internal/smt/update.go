package smt

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/lazchain/lazchain/internal/types"
)

// KV sets Key to Value in an Update. A nil Value deletes Key; an empty but
// non-nil Value is an ordinary value.
type KV struct {
	Key, Value []byte
}

// op is a KV with its hashes computed; seq is its place in the batch, so
// that sorting can keep the last of several writes to one key.
type op struct {
	kh, vh types.Hash
	seq    int32
	del    bool
}

// errInvariant reports a tree or batch in a shape Update never makes.
var errInvariant = errors.New("smt: internal invariant broken")

// Update returns a new version with kvs applied; t is left as it was. When
// a batch writes one key more than once, the last write wins. Deleting a
// missing key does nothing.
func (t *Tree) Update(kvs []KV) (*Tree, error) {
	if len(kvs) > math.MaxInt32 {
		return nil, fmt.Errorf("smt: batch of %d updates is over the limit of %d; split it", len(kvs), math.MaxInt32)
	}
	ops := make([]op, len(kvs))
	for i, kv := range kvs {
		ops[i] = op{kh: KeyHash(kv.Key), seq: int32(i), del: kv.Value == nil}
		if !ops[i].del {
			ops[i].vh = ValueHash(kv.Value)
		}
	}
	nt, err := t.apply(ops)
	if err != nil {
		return nil, fmt.Errorf("smt: update of %d keys: %w", len(kvs), err)
	}
	return nt, nil
}

// apply sorts ops (by key hash, then seq), keeps the last op per key and
// applies them in one pass down the tree, so each touched node is rehashed
// once per batch. It reorders ops in place.
func (t *Tree) apply(ops []op) (*Tree, error) {
	ops = sortOps(ops)
	var u updater
	root, h, err := u.apply(t.root, t.rootHash, 0, ops)
	if err != nil {
		return nil, err
	}
	return &Tree{root: root, rootHash: h, n: t.n + u.added - u.removed}, nil
}

func sortOps(ops []op) []op {
	slices.SortFunc(ops, func(a, b op) int {
		if c := bytes.Compare(a.kh[:], b.kh[:]); c != 0 {
			return c
		}
		return int(a.seq) - int(b.seq)
	})
	out := ops[:0]
	for i := range ops {
		if i+1 < len(ops) && ops[i+1].kh == ops[i].kh {
			continue // a later write to the same key wins
		}
		out = append(out, ops[i])
	}
	return out
}

// updater counts keys added and removed during one batch.
type updater struct {
	added, removed int
}

// apply returns subtree n, whose hash is h and which sits at depth, with
// ops applied, and the new subtree's hash. All ops share n's path prefix,
// are sorted by key hash and have distinct keys.
func (u *updater) apply(n node, h types.Hash, depth int, ops []op) (node, types.Hash, error) {
	if len(ops) == 0 {
		return n, h, nil
	}
	if len(ops) == 1 {
		if res, ok := u.applyOne(n, &ops[0]); ok {
			return res, hashOf(res, h), nil
		}
	}
	if depth >= MaxDepth {
		return nil, h, fmt.Errorf("%d ops reach depth %d: %w", len(ops), depth, errInvariant)
	}
	// A leaf in the way is pushed one level down, to the side its own key
	// hash chooses; join moves it back up if it stays alone.
	var l, r node
	var lh, rh types.Hash
	switch x := n.(type) {
	case *innerNode:
		l, r, lh, rh = x.left, x.right, x.leftHash, x.rightHash
	case *leafNode:
		if bit(&x.keyHash, depth) == 0 {
			l, lh = x, x.hash
		} else {
			r, rh = x, x.hash
		}
	}
	k := splitAt(ops, depth)
	nl, nlh, nr, nrh, err := u.applyBoth(l, lh, r, rh, depth+1, ops[:k], ops[k:])
	if err != nil {
		return nil, h, err
	}
	if _, ok := n.(*innerNode); ok && nl == l && nr == r {
		return n, h, nil
	}
	res, resHash := join(nl, nlh, nr, nrh)
	return res, resHash, nil
}

// Near the root of a big batch the two sides are applied on two goroutines:
// they share no node, and hashing is most of the work. Below parallelDepth
// levels (up to 2^parallelDepth goroutines) or parallelMin ops a side, the
// goroutine would cost more than it saves.
const (
	parallelDepth = 2
	parallelMin   = 256
)

// applyBoth applies lops to l and rops to r, the children at depth.
func (u *updater) applyBoth(l node, lh types.Hash, r node, rh types.Hash, depth int, lops, rops []op) (
	node, types.Hash, node, types.Hash, error) {
	if depth <= parallelDepth && len(lops) >= parallelMin && len(rops) >= parallelMin {
		return u.applyParallel(l, lh, r, rh, depth, lops, rops)
	}
	nl, nlh, err := u.apply(l, lh, depth, lops)
	if err != nil {
		return nil, lh, nil, rh, err
	}
	nr, nrh, err := u.apply(r, rh, depth, rops)
	return nl, nlh, nr, nrh, err
}

// applyParallel is applyBoth with the left side on its own goroutine. It
// is a function of its own because the variables its goroutine shares
// move to the heap, and that should not cost every applyBoth call.
func (u *updater) applyParallel(l node, lh types.Hash, r node, rh types.Hash, depth int, lops, rops []op) (
	nl node, nlh types.Hash, nr node, nrh types.Hash, err error) {
	var lu updater
	var lerr error
	var wg sync.WaitGroup
	wg.Go(func() { nl, nlh, lerr = lu.apply(l, lh, depth, lops) })
	nr, nrh, err = u.apply(r, rh, depth, rops)
	wg.Wait()
	u.added += lu.added
	u.removed += lu.removed
	return nl, nlh, nr, nrh, errors.Join(lerr, err)
}

// hashOf returns the hash of res, a result of applyOne: old is the hash of
// the node it replaced, still right if res is that node.
func hashOf(res node, old types.Hash) types.Hash {
	switch x := res.(type) {
	case *leafNode:
		return x.hash
	case nil:
		return types.ZeroHash
	}
	return old
}

// applyOne handles the cases where a single op needs no descent: n is
// empty, or a leaf that the op replaces, deletes or (deleting another key)
// leaves alone. It reports false when the op must go further down.
func (u *updater) applyOne(n node, o *op) (node, bool) {
	switch x := n.(type) {
	case nil:
		if o.del {
			return nil, true
		}
		u.added++
		return newLeaf(o.kh, o.vh), true
	case *leafNode:
		switch {
		case x.keyHash != o.kh:
			return x, o.del
		case o.del:
			u.removed++
			return nil, true
		case x.valueHash == o.vh:
			return x, true
		default:
			return newLeaf(o.kh, o.vh), true
		}
	}
	return nil, false
}

// join makes the canonical subtree with children l and r (hashes lh, rh):
// empty if both are, the leaf alone if the other side is empty, else an
// inner node. It returns the subtree and its hash.
func join(l node, lh types.Hash, r node, rh types.Hash) (node, types.Hash) {
	switch {
	case l == nil && r == nil:
		return nil, types.ZeroHash
	case l == nil:
		if _, ok := r.(*leafNode); ok {
			return r, rh
		}
	case r == nil:
		if _, ok := l.(*leafNode); ok {
			return l, lh
		}
	}
	return newInner(l, lh, r, rh)
}

// splitAt returns the index of the first op whose key hash has bit depth
// set. Sorted ops that share a prefix of depth bits have all their zeros
// first, so a binary search finds it.
func splitAt(ops []op, depth int) int {
	lo, hi := 0, len(ops)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if bit(&ops[mid].kh, depth) == 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}
