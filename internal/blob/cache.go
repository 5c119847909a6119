package blob

import (
	"sync"
	"time"

	"github.com/lazchain/lazchain/internal/merkle"
)

// cache holds what the store learnt about its files, so hot paths do not
// read and hash them again. Manifests are read on every chunk put, served
// chunk and stream; a chunk served with its proof needs the blob's Merkle
// tree, which costs O(n) hashes to rebuild and O(log n) to walk.
type cache struct {
	mu        sync.Mutex
	manifests map[Hash]*entry
	leaves    int // manifest leaves plus tree nodes held, the cache's weight
	// checked holds when this process last wrote or checked each chunk
	// file. Readers that are fine with a copy checked moments ago skip
	// the hash (readRecent): a large artifact is otherwise hashed once on
	// receipt, once more by its verifier and once per peer it is served
	// to. A peer checks what it fetches anyway, and a crash empties the
	// set, so a torn file is always caught. Clients and streams still get
	// a full check every time.
	checked map[Hash]time.Time
	// drops counts dropped calls, so a completeness found by a scan that
	// a chunk's removal overtook is not recorded (markComplete).
	drops uint64
}

// entry is a checked manifest and, once a proof was asked for, its tree.
// complete says every chunk was found, so asking again does not stat each
// chunk file; any chunk dropped as corrupt clears it. Both fields are
// guarded by the cache's mu; the entry goes when its root gets another
// manifest (a root does not bind the count), and its state with it.
type entry struct {
	m        *Manifest
	tree     *merkle.Tree
	complete bool
}

// The caches' bounds; at a bound a cache starts over. maxCachedLeaves
// weighs manifests by their hashes (32 bytes each): 1<<21 is 64 MiB.
// recentlyChecked is how long a chunk's check is trusted.
const (
	maxCachedLeaves = 1 << 21
	maxChecked      = 1 << 16
	recentlyChecked = 2 * time.Minute
)

func newCache() cache {
	return cache{manifests: map[Hash]*entry{}, checked: map[Hash]time.Time{}}
}

func (c *cache) manifest(root Hash) *Manifest {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.manifests[root]; e != nil {
		return e.m
	}
	return nil
}

func (c *cache) putManifest(m *Manifest) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.manifests[m.Root]; old != nil {
		if old.m.Size == m.Size && old.m.ChunkSize == m.ChunkSize {
			return
		}
		c.leaves -= len(old.m.Leaves) // same root, another count: see Check
		if old.tree != nil {
			c.leaves -= old.tree.Size()
		}
		delete(c.manifests, m.Root)
	}
	c.make(len(m.Leaves))
	c.manifests[m.Root] = &entry{m: m}
	c.leaves += len(m.Leaves)
}

// make empties the manifest cache if n more hashes would pass its bound.
// Call with mu held.
func (c *cache) make(n int) {
	if c.leaves+n > maxCachedLeaves {
		clear(c.manifests)
		c.leaves = 0
	}
}

// tree returns m's Merkle tree, built on first use outside the lock.
func (c *cache) tree(m *Manifest) *merkle.Tree {
	c.mu.Lock()
	e := c.entryOf(m)
	var t *merkle.Tree
	if e != nil {
		t = e.tree
	}
	c.mu.Unlock()
	if t != nil {
		return t
	}
	t = merkle.NewTree(m.Leaves)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entryOf(m); e != nil && e.tree == nil {
		c.make(t.Size())
		if c.manifests[m.Root] == e { // make may have emptied the cache
			e.tree = t
			c.leaves += t.Size()
		}
	}
	return t
}

// entryOf is m's entry, if the cache still holds m itself (another
// manifest of the same root may have replaced it). Call with mu held.
func (c *cache) entryOf(m *Manifest) *entry {
	if e := c.manifests[m.Root]; e != nil && e.m == m {
		return e
	}
	return nil
}

func (c *cache) markChecked(h Hash) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.checked) >= maxChecked {
		clear(c.checked)
	}
	c.checked[h] = time.Now()
}

func (c *cache) checkedRecently(h Hash) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	at, ok := c.checked[h]
	return ok && time.Since(at) < recentlyChecked
}

func (c *cache) isComplete(m *Manifest) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entryOf(m)
	return e != nil && e.complete
}

// generation returns the count markComplete is given: read it before
// looking at the chunk files.
func (c *cache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.drops
}

// markComplete records that every chunk of m was found by a scan begun at
// generation gen, unless a chunk was dropped since: it may be one the
// scan had found.
func (c *cache) markComplete(m *Manifest, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entryOf(m); e != nil && c.drops == gen {
		e.complete = true
	}
}

// dropped forgets every blob's completeness: which blobs share a chunk
// is not indexed, and corruption is rare.
func (c *cache) dropped() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drops++
	for _, e := range c.manifests {
		e.complete = false
	}
}
