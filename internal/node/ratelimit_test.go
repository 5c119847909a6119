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
