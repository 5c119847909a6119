package mempool

// window holds one sender's entries by nonce, from its next nonce up. It
// replaced a map[uint64]*entry: a sender's nonces slide forward, and a Go
// map used as a sliding window fills with tombstones, so every probe
// walked ever longer groups (2.9% of a loaded node's CPU).
//
// Nonces close to the ones held live in a slice; one past a gap of more
// than maxGap goes to a small map instead, so a sender that sends one
// transaction far ahead costs one entry, not a slice across the gap.
type window struct {
	base  uint64   // the nonce of slots[0]: the sender's next nonce
	slots []*entry // slots[i] holds nonce base+i, or nil
	far   map[uint64]*entry
	n     int // entries held, in slots and far
}

// maxGap is how far past the slice's end a nonce may land in it.
const maxGap = 32

// get returns the entry with nonce n, or nil.
func (w *window) get(n uint64) *entry {
	if n < w.base {
		return nil
	}
	if n-w.base < uint64(len(w.slots)) {
		if e := w.slots[n-w.base]; e != nil {
			return e
		}
	}
	return w.far[n]
}

// set stores e at nonce n, which is at least base.
func (w *window) set(n uint64, e *entry) {
	i := n - w.base
	if i >= uint64(len(w.slots))+maxGap {
		if w.far == nil {
			w.far = map[uint64]*entry{}
		}
		if w.far[n] == nil {
			w.n++
		}
		w.far[n] = e
		return
	}
	if old := w.far[n]; old != nil { // the slice grew to reach it
		delete(w.far, n)
		w.n--
	}
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
	for n, e := range w.far {
		if n < next {
			drop(n, e)
			delete(w.far, n)
			w.n--
		}
	}
	w.base = next
}
