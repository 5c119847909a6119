package node

import (
	"testing"
	"time"
)

// spend is what a spare check does: reserve, let the admission charge
// the checks it made, then return the reservation.
func spend(s *spareChecks, n int, now time.Time) bool {
	if !s.take(n, now) {
		return false
	}
	s.charge(n, now)
	s.refund(n)
	return true
}

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
		if got := spend(s, st.n, t0.Add(st.at)); got != st.want {
			t.Fatalf("step %d: spend(%d) at %s = %v, want %v", i, st.n, st.at, got, st.want)
		}
	}
}

// Checks a validator makes anyway use up the spare budget: under load no
// batch is checked as spare, and a spike pauses spare checks for at most
// one burst's worth of refill.
func TestSpareChecksChargedForOtherChecks(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	s := newSpareChecks(1000, 250)
	steps := []struct {
		at     time.Duration
		charge int // checked anyway at this step
		n      int // then asked for as spare
		want   bool
	}{
		{0, 200, 50, true},                       // 250 - 200 leaves 50
		{0, 0, 1, false},                         // nothing left
		{100 * time.Millisecond, 80, 20, true},   // +100 - 80 leaves 20
		{200 * time.Millisecond, 5000, 1, false}, // deep load: debt capped at one burst
		{600 * time.Millisecond, 0, 100, true},   // -250 + 400 = 150
		{700 * time.Millisecond, 0, 150, true},   // 50 + 100
	}
	for i, st := range steps {
		now := t0.Add(st.at)
		s.charge(st.charge, now)
		if got := spend(s, st.n, now); got != st.want {
			t.Fatalf("step %d: spend(%d) at %s after charging %d = %v, want %v", i, st.n, st.at, st.charge, got, st.want)
		}
	}
}

// Batches routed together before any is checked each see the ones
// reserved before them, so a burst of queued batches cannot all pass as
// spare.
func TestSpareReservationsAddUp(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	s := newSpareChecks(1000, 250)
	wants := []bool{true, true, false, false} // 100 + 100 fit in 250; a third does not
	for i, want := range wants {
		if got := s.take(100, t0); got != want {
			t.Fatalf("take %d of 100 at once = %v, want %v", i+1, got, want)
		}
	}
	s.charge(200, t0) // the two reserved batches were checked
	s.refund(100)
	s.refund(100)
	if s.take(60, t0) {
		t.Fatal("a reservation was charged twice or not at all: 50 should be left")
	}
	if !s.take(50, t0) {
		t.Fatal("50 should be left after checking 200 of 250")
	}
}

// The batcher checks on its callers while the budget has room: light
// turns false once checks outpace the rate, and true again as it refills.
func TestSpareChecksLight(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	s := newSpareChecks(1000, 250)
	steps := []struct {
		at     time.Duration
		charge int
		want   bool
	}{
		{0, 0, true},
		{0, 249, true},                        // 1 left
		{0, 1, false},                         // none left
		{100 * time.Millisecond, 0, true},     // +100
		{100 * time.Millisecond, 4000, false}, // a burst of load: debt capped at -250
		{300 * time.Millisecond, 0, false},    // -250 + 200
		{600 * time.Millisecond, 0, true},     // -50 + 300
		{1600 * time.Millisecond, 200, true},  // capped at 250, 50 left
		{1600 * time.Millisecond, 100, false}, // past it
	}
	for i, st := range steps {
		now := t0.Add(st.at)
		s.charge(st.charge, now)
		if got := s.light(now); got != st.want {
			t.Fatalf("step %d: light at %s after charging %d = %v, want %v", i, st.at, st.charge, got, st.want)
		}
	}
}
