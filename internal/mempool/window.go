package mempool

// window holds one sender's entries by nonce, from its next nonce up, in
// a slice. It replaced a map[uint64]*entry: a sender's nonces slide
// forward, and a Go map used as a sliding window fills with tombstones,
// so every probe walked ever longer groups (4% of a loaded node's CPU).
type window struct {
	base  uint64   // the nonce of slots[0]: the sender's next nonce
	slots []*entry // slots[i] holds nonce base+i, or nil
	n     int      // non-nil slots
}

// get returns the entry with nonce n, or nil.
func (w *window) get(n uint64) *entry {
	if n < w.base || n-w.base >= uint64(len(w.slots)) {
		return nil
	}
	return w.slots[n-w.base]
}

// set stores e at nonce n, which is at least base; the pool's nonce
// bounds (maxPeerAhead past the run) keep the slice short.
func (w *window) set(n uint64, e *entry) {
	i := n - w.base
	for uint64(len(w.slots)) <= i {
		w.slots = append(w.slots, nil)
	}
	if w.slots[i] == nil {
		w.n++
	}
	w.slots[i] = e
}

// advance moves base to next, calling drop for each entry below it.
func (w *window) advance(next uint64, drop func(n uint64, e *entry)) {
	if next <= w.base {
		return
	}
	k := min(next-w.base, uint64(len(w.slots)))
	for i, e := range w.slots[:k] {
		if e != nil {
			drop(w.base+uint64(i), e)
			w.n--
		}
	}
	clear(w.slots[:k])
	w.slots = w.slots[k:]
	if len(w.slots) == 0 {
		w.slots = w.slots[:0:0] // let the old array go once it drained
	}
	w.base = next
}
