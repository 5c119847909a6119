package node

import (
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/p2p"
)

// Each peer gets its burst at once, then the rate; one peer's use does not
// touch another's.
func TestLimiterPerPeer(t *testing.T) {
	var a, b p2p.NodeID
	a[0], b[0] = 1, 2
	clock := time.Unix(1_000_000, 0)
	l := newLimiter(4, 2) // 4 a second, bursts of 2
	l.now = func() time.Time { return clock }
	steps := []struct {
		advance time.Duration
		peer    p2p.NodeID
		want    bool
	}{
		{0, a, true}, {0, a, true}, {0, a, false}, // the burst, then empty
		{0, b, true},                                             // another peer's bucket is full
		{100 * time.Millisecond, a, false},                       // 0.4 of a token
		{150 * time.Millisecond, a, true},                        // 1.0
		{0, a, false},                                            //
		{10 * time.Second, a, true}, {0, a, true}, {0, a, false}, // refilled only up to the burst
	}
	for i, s := range steps {
		clock = clock.Add(s.advance)
		if got := l.allow(s.peer); got != s.want {
			t.Fatalf("step %d: allow = %v, want %v", i, got, s.want)
		}
	}
}

// Buckets of peers that came and went are swept once refilled, so fresh
// keys cannot grow the map without bound; a peer still drawing on its
// bucket keeps it.
func TestLimiterSweepsRefilled(t *testing.T) {
	clock := time.Unix(1_000_000, 0)
	l := newLimiter(4, 2)
	l.now = func() time.Time { return clock }
	var busy p2p.NodeID
	busy[0] = 0xff
	l.allow(busy)
	l.allow(busy) // empty now
	for i := range 3 * minSweep {
		var id p2p.NodeID
		id[0], id[1] = byte(i), byte(i>>8)
		id[2] = 1
		l.allow(id)
		clock = clock.Add(time.Millisecond)
	}
	if n := len(l.buckets); n > 2*minSweep {
		t.Fatalf("%d buckets after %d one-off peers", n, 3*minSweep)
	}
	// busy's bucket refilled long ago (3 s at 4 a second): swept or not, it
	// allows its burst again, and no more.
	if !l.allow(busy) || !l.allow(busy) || l.allow(busy) {
		t.Fatal("a swept peer's bucket does not behave as before")
	}
}
