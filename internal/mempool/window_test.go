package mempool

import (
	"slices"
	"testing"
)

// The window keeps entries by nonce across sets with gaps, advances that
// drop exactly the passed nonces (short steps and jumps past the end),
// and sets after an advance.
func TestWindow(t *testing.T) {
	w := window{base: 10}
	es := map[uint64]*entry{}
	put := func(ns ...uint64) {
		for _, n := range ns {
			es[n] = &entry{size: int(n)}
			w.set(n, es[n])
		}
	}
	check := func(step string, held ...uint64) {
		t.Helper()
		for n := w.base; n < w.base+uint64(len(w.slots))+3; n++ {
			want := slices.Contains(held, n)
			if got := w.get(n); (got != nil) != want || (want && got != es[n]) {
				t.Fatalf("%s: nonce %d held %v, want %v", step, n, got != nil, want)
			}
		}
		if w.get(w.base-1) != nil || w.n != len(held) {
			t.Fatalf("%s: below base held, or count %d, want %d", step, w.n, len(held))
		}
	}
	advance := func(next uint64, wantDropped ...uint64) {
		t.Helper()
		var dropped []uint64
		w.advance(next, func(n uint64, e *entry) {
			if e != es[n] {
				t.Fatalf("advance to %d dropped the wrong entry at %d", next, n)
			}
			dropped = append(dropped, n)
		})
		if !slices.Equal(dropped, wantDropped) {
			t.Fatalf("advance to %d dropped %v, want %v", next, dropped, wantDropped)
		}
	}

	put(10, 11, 14)
	check("gap", 10, 11, 14)
	put(11) // replacing a held nonce does not count it twice
	check("replace", 10, 11, 14)
	advance(12, 10, 11)
	check("short step", 14)
	advance(12)
	check("no step", 14)
	put(12, 20)
	check("after step", 12, 14, 20)
	advance(100, 12, 14, 20)
	check("jump past the end")
	put(100, 103)
	check("after jump", 100, 103)

	// Far past the held nonces: kept aside, not in a slice across the gap.
	put(100+maxGap+50, 100+maxGap+51)
	if len(w.slots) > maxGap+4 {
		t.Fatalf("a nonce past a gap grew the slice to %d", len(w.slots))
	}
	check("far", 100, 103, 100+maxGap+50, 100+maxGap+51)
	put(104) // the slice grows toward the far ones...
	for n := uint64(105); n <= 100+maxGap+50; n++ {
		put(n) // ...and takes them over when it reaches them
	}
	held := []uint64{100, 103}
	for n := uint64(104); n <= 100+maxGap+51; n++ {
		held = append(held, n)
	}
	check("joined", held...)
	var dropped []uint64
	for n := uint64(100); n < 100+maxGap+52; n++ {
		if n != 101 && n != 102 {
			dropped = append(dropped, n)
		}
	}
	advance(1000, dropped...)
	check("all passed")
	if len(w.far) != 0 {
		t.Fatalf("%d far entries left below base", len(w.far))
	}
}
