package blob

import "sync"

// recentChunks keeps the last chunks written, up to a byte budget, in
// memory. A large artifact's chunks are read back right after they are
// stored: by the verifier following the fetch, and by each peer fetching
// them from this node at about the same time. Serving those reads from
// memory saves a file read (a syscall and a copy through the page cache)
// per chunk per reader; under load the kernel's share of CPU was almost
// half. Entries are shared and must not be modified.
type recentChunks struct {
	mu     sync.Mutex
	budget int
	bytes  int
	data   map[Hash][]byte
	order  []Hash // oldest first
}

// recentBudget is the memory one store spends on recent chunks.
const recentBudget = 64 << 20

func newRecentChunks(budget int) *recentChunks {
	return &recentChunks{budget: budget, data: map[Hash][]byte{}}
}

// add keeps a copy of a chunk whose hash is h, evicting the oldest.
func (r *recentChunks) add(h Hash, chunk []byte) {
	if len(chunk) > r.budget/4 {
		return
	}
	c := append([]byte(nil), chunk...)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.data[h]; ok {
		return
	}
	for r.bytes+len(c) > r.budget && len(r.order) > 0 {
		old := r.order[0]
		r.order = r.order[1:]
		r.bytes -= len(r.data[old])
		delete(r.data, old)
	}
	r.data[h] = c
	r.order = append(r.order, h)
	r.bytes += len(c)
}

func (r *recentChunks) get(h Hash) ([]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.data[h]
	return c, ok
}
