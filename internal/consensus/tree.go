package consensus

import "github.com/lazchain/lazchain/internal/types"

// tree holds the blocks this core knows: the last committed block, the
// uncommitted blocks above it, and a window of committed ancestors kept to
// answer peers' fetches.
type tree struct {
	blocks    map[types.Hash]*types.Block
	committed *types.Block
	byHeight  map[uint64]types.Hash // committed chain, for pruning
}

func newTree(committed *types.Block) *tree {
	t := &tree{blocks: map[types.Hash]*types.Block{}, byHeight: map[uint64]types.Hash{}}
	t.blocks[committed.ID()] = committed
	t.committed = committed
	t.byHeight[committed.Height] = committed.ID()
	return t
}

func (t *tree) get(id types.Hash) *types.Block { return t.blocks[id] }

func (t *tree) has(id types.Hash) bool { _, ok := t.blocks[id]; return ok }

// add stores b if its parent is known; it reports whether b is new.
func (t *tree) add(b *types.Block) bool {
	if t.has(b.ID()) {
		return false
	}
	t.blocks[b.ID()] = b
	return true
}

// path returns the blocks from just above the committed block up to and
// including head, oldest first. ok is false if head does not descend from
// the committed block through known blocks; missing is then the first
// unknown ancestor, or zero if the chain passes below the committed height
// on another branch (a conflict).
func (t *tree) path(head *types.Block) (chain []*types.Block, missing types.Hash, ok bool) {
	for b := head; b.ID() != t.committed.ID(); {
		if b.Height <= t.committed.Height {
			return nil, types.ZeroHash, false
		}
		chain = append(chain, b)
		p := t.get(b.Parent)
		if p == nil {
			return nil, b.Parent, false
		}
		b = p
	}
	for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
		chain[i], chain[j] = chain[j], chain[i]
	}
	return chain, types.ZeroHash, true
}

// commit moves the committed head to the last block of chain and prunes
// blocks that can no longer matter: forks at or below the new head, and
// committed blocks older than keep that are at or below floor (the driver
// walks the committed blocks it has not executed yet).
func (t *tree) commit(chain []*types.Block, keep int, floor uint64) {
	for _, b := range chain {
		t.byHeight[b.Height] = b.ID()
	}
	t.committed = chain[len(chain)-1]
	h := t.committed.Height
	for id, b := range t.blocks {
		if b.Height <= h && t.byHeight[b.Height] != id {
			delete(t.blocks, id)
		}
	}
	if h > uint64(keep) {
		for old := min(h-uint64(keep), floor); ; old-- {
			id, ok := t.byHeight[old]
			if !ok {
				break
			}
			delete(t.blocks, id)
			delete(t.byHeight, old)
			if old == 0 {
				break
			}
		}
	}
}

// ancestors returns id's block and up to n-1 of its ancestors, newest
// first, while their encodings fit in budget bytes (the first always).
func (t *tree) ancestors(id types.Hash, n, budget int) []*types.Block {
	var out []*types.Block
	for b := t.get(id); b != nil && len(out) < n; b = t.get(b.Parent) {
		size := b.EncodedSize()
		if len(out) > 0 && size > budget {
			break
		}
		budget -= size
		out = append(out, b)
	}
	return out
}
