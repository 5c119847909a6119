package node

import "github.com/lazchain/lazchain/internal/types"

// recent is a set of hashes that remembers only the last n added: the
// oldest is forgotten when a new one needs its place. Not safe for
// concurrent use.
type recent struct {
	set  map[types.Hash]struct{}
	ring []types.Hash
	next int // where the next hash goes; the oldest once the ring is full
}

func newRecent(n int) recent {
	return recent{set: make(map[types.Hash]struct{}, n), ring: make([]types.Hash, 0, n)}
}

func (r *recent) has(h types.Hash) bool {
	_, ok := r.set[h]
	return ok
}

func (r *recent) add(h types.Hash) {
	if r.has(h) {
		return
	}
	if len(r.ring) < cap(r.ring) {
		r.ring = append(r.ring, h)
	} else {
		delete(r.set, r.ring[r.next])
		r.ring[r.next] = h
		r.next = (r.next + 1) % len(r.ring)
	}
	r.set[h] = struct{}{}
}
