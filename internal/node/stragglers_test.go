package node

import (
	"slices"
	"testing"
)

// A validator that lets a wait for late votes run out is skipped for a
// number of waits that doubles with each miss (up to
// maxStragglerSkip) and halves with each vote in time, so one that
// withholds its votes costs a wait ever more rarely. A new epoch, whose
// indices are new, starts everyone afresh.
func TestStragglerWaitsBackOff(t *testing.T) {
	w := &stragglerWaits{}
	// waited tells whether validator 2 is waited for at each of the next
	// rounds, given whether it comes in time when it is.
	rounds := uint64(0)
	waited := func(comes bool, n int) []bool {
		var out []bool
		for range n {
			rounds++
			w.begin(1, 4, rounds)
			w.waiting = w.wanted([]int{2}, func(int) bool { return true })
			want := w.waiting
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
	// Once it comes in time it is waited for every time again, and its
	// back-off decays: a miss after seven timely votes costs one height.
	waited(true, 2*maxStragglerSkip)
	if got := waited(true, 7); !slices.Equal(got, []bool{true, true, true, true, true, true, true}) {
		t.Fatalf("after it came in time: waited %v, want every round", got)
	}
	if got := waited(false, 3); !slices.Equal(got, []bool{true, false, true}) {
		t.Fatalf("a miss after timely votes: waited %v, want a skip of one", got)
	}
	if got := w.wanted([]int{1, 3}, func(i int) bool { return i == 3 }); !slices.Equal(got, []int{3}) || w.skip[1] != 0 {
		t.Fatalf("wanted %v of 1 (not connected) and 3; skip of 1 is %d", got, w.skip[1])
	}
	waited(false, 40)
	w.begin(2, 4, rounds+1)
	if w.skip[2] != 0 || w.miss[2] != 0 {
		t.Fatalf("a new epoch kept validator 2's skip %d and miss %d", w.skip[2], w.miss[2])
	}
	if w.skip[0] != 0 || w.miss[0] != 0 {
		t.Fatalf("validator 0, never waited for, has skip %d miss %d", w.skip[0], w.miss[0])
	}
}
