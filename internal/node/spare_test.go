package node

import (
	"testing"
	"time"
)

func TestSpareChecksBoundTheRate(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	s := newSpareChecks(1000, 250)
	steps := []struct {
		at   time.Duration
		n    int
		want bool
	}{
		{0, 200, true},                      // within the burst
		{0, 100, false},                     // 50 left
		{0, 50, true},                       // exactly what is left
		{50 * time.Millisecond, 60, false},  // 50 refilled
		{100 * time.Millisecond, 100, true}, // 100 refilled
		{10 * time.Second, 250, true},       // refill stops at the burst
		{10 * time.Second, 1, false},
		{10*time.Second + time.Millisecond, 1, true},
	}
	for i, st := range steps {
		if got := s.take(st.n, t0.Add(st.at)); got != st.want {
			t.Fatalf("step %d: take(%d) at %s = %v, want %v", i, st.n, st.at, got, st.want)
		}
	}
}
