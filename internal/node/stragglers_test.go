package node

import (
	"slices"
	"testing"
	"time"
)

// A validator that lets a wait for late votes run out is skipped for a
// number of waits that doubles with each miss (up to maxStragglerSkip)
// and halves with each vote in time, so one that withholds its votes costs
// a wait ever more rarely. A vote after the cutoff counts as a miss, and
// only for its own voter. A new epoch, whose indices are new, starts
// everyone afresh.
func TestStragglerWaitsBackOff(t *testing.T) {
	w := &stragglerWaits{}
	cutoff := time.Unix(1000, 0)
	early, late := cutoff.Add(-time.Millisecond), cutoff.Add(time.Millisecond)
	rounds := uint64(0)
	var capped []int // validators end reported at the cap, to warn of
	// hold waits for validators 1 and 2 if they are not skipped; arrive
	// says when each comes (the zero time: never).
	hold := func(arrive map[int]time.Time) []int {
		rounds++
		w.begin(1, 4, rounds)
		w.waiting = w.wanted([]int{1, 2}, func(int) bool { return true })
		w.arrived = make([]time.Time, len(w.waiting))
		for k, i := range w.waiting {
			w.arrived[k] = arrive[i]
		}
		held := slices.Clone(w.waiting)
		capped = append(capped, w.end(nil, cutoff)...)
		return held
	}
	// 2 never comes: waited, skip 1, waited, skip 3, waited, skip 7, waited.
	var got []bool
	for range 16 {
		got = append(got, slices.Contains(hold(map[int]time.Time{1: early}), 2))
	}
	want := []bool{true, false, true, false, false, false, true, false, false, false, false, false, false, false, true, false}
	if !slices.Equal(got, want) {
		t.Fatalf("waits for a validator that never comes:\n got %v\nwant %v", got, want)
	}
	if w.miss[1] != 0 || w.skip[1] != 0 {
		t.Fatalf("validator 1, always early, has miss %d skip %d", w.miss[1], w.skip[1])
	}
	for range 2000 {
		hold(map[int]time.Time{1: early})
	}
	if w.miss[2] != maxStragglerSkip {
		t.Fatalf("skip grew to %d, want the cap %d", w.miss[2], maxStragglerSkip)
	}
	if !slices.Equal(capped, []int{2}) {
		t.Fatalf("end reported %v at the cap, want validator 2 once", capped)
	}
	// Once it comes in time it is waited for every time, and its back-off
	// decays: after eight timely votes a miss costs one wait again.
	for !slices.Contains(hold(map[int]time.Time{1: early, 2: early}), 2) {
	}
	for range 7 {
		if !slices.Contains(hold(map[int]time.Time{1: early, 2: early}), 2) {
			t.Fatal("a validator that came in time was skipped")
		}
	}
	if w.miss[2] != 0 {
		t.Fatalf("after seven timely votes the back-off is %d", w.miss[2])
	}
	// A vote after the cutoff is a miss for its voter only.
	hold(map[int]time.Time{1: early, 2: late})
	if w.skip[2] != 1 || w.skip[1] != 0 {
		t.Fatalf("a late vote from 2 left skips %v", w.skip)
	}
	if got := w.wanted([]int{1, 3}, func(i int) bool { return i == 3 }); !slices.Equal(got, []int{3}) {
		t.Fatalf("wanted %v of 1 (not connected) and 3", got)
	}
	w.begin(2, 4, rounds+1)
	if w.skip[2] != 0 || w.miss[2] != 0 {
		t.Fatalf("a new epoch kept validator 2's skip %d and miss %d", w.skip[2], w.miss[2])
	}
}
