package node

import (
	"slices"
	"testing"
)

// A validator that lets a wait for late votes run out is skipped for a
// number of sampled rounds that doubles with each miss (up to
// maxStragglerSkip) and starts over once it comes in time, so one that
// withholds its votes costs a wait ever more rarely.
func TestStragglerWaitsBackOff(t *testing.T) {
	w := &stragglerWaits{skip: make([]int, 4), miss: make([]int, 4)}
	// waited tells whether validator 2 is waited for at each of the next
	// rounds, given whether it comes in time when it is.
	rounds := uint64(0)
	waited := func(comes bool, n int) []bool {
		var out []bool
		for range n {
			rounds++
			var want []int
			if w.skip[2] == 0 {
				want = []int{2}
			}
			w.begin(rounds, want)
			out = append(out, len(want) > 0)
			if len(want) > 0 && !comes {
				w.end(want)
			} else {
				w.end(nil)
			}
		}
		return out
	}
	// Misses: waited, skip 1, waited, skip 3, waited, skip 7, waited.
	got := waited(false, 16)
	want := []bool{true, false, true, false, false, false, true, false, false, false, false, false, false, false, true, false}
	if !slices.Equal(got, want) {
		t.Fatalf("waits while it misses:\n got %v\nwant %v", got, want)
	}
	for range 20 {
		waited(false, 200)
	}
	if w.miss[2] != maxStragglerSkip {
		t.Fatalf("skip grew to %d, want the cap %d", w.miss[2], maxStragglerSkip)
	}
	// Once it comes in time it is waited for every time again.
	waited(true, 2*maxStragglerSkip)
	if got := waited(true, 5); !slices.Equal(got, []bool{true, true, true, true, true}) {
		t.Fatalf("after it came in time: waited %v, want every round", got)
	}
	if w.skip[0] != 0 || w.miss[0] != 0 {
		t.Fatalf("validator 0, never waited for, has skip %d miss %d", w.skip[0], w.miss[0])
	}
}
