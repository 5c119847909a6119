package p2p

import (
	"testing"
	"time"
)

// One line per peer per period; peers are paced apart; a full memory
// starts over rather than growing.
func TestPacer(t *testing.T) {
	p := NewPacer(time.Minute)
	t0 := time.Unix(1000, 0)
	a, b := NodeID{1}, NodeID{2}
	steps := []struct {
		peer NodeID
		at   time.Duration
		want bool
	}{
		{a, 0, true}, {a, time.Second, false}, {b, time.Second, true},
		{a, 59 * time.Second, false}, {a, 60 * time.Second, true}, {b, 61 * time.Second, true},
	}
	for i, s := range steps {
		if got := p.Due(s.peer, t0.Add(s.at)); got != s.want {
			t.Fatalf("step %d: Due(peer %d, +%v) = %v, want %v", i, s.peer[0], s.at, got, s.want)
		}
	}
	for i := range 3 * maxLoggedPeers {
		p.Due(NodeID{byte(i), byte(i >> 8), 9}, t0)
	}
	if len(p.last) > maxLoggedPeers {
		t.Fatalf("pacer remembers %d peers, at most %d", len(p.last), maxLoggedPeers)
	}
}
