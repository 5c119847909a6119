package p2p

import (
	"sync"
	"time"
)

// Pacer lets a per-peer log line through at most once per period:
// a misbehaving peer must not flood the log with the same complaint.
type Pacer struct {
	period time.Duration

	mu   sync.Mutex
	last map[NodeID]time.Time
}

// maxLoggedPeers bounds the peers remembered; past it the memory starts
// over, which at worst lets one more line per peer through.
const maxLoggedPeers = 1024

// NewPacer lets one line per peer through each period.
func NewPacer(period time.Duration) *Pacer {
	return &Pacer{period: period, last: map[NodeID]time.Time{}}
}

// Due reports whether a line about peer may be logged now, and if so
// starts its period.
func (e *Pacer) Due(peer NodeID, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t, ok := e.last[peer]; ok && now.Sub(t) < e.period {
		return false
	}
	if len(e.last) >= maxLoggedPeers {
		clear(e.last)
	}
	e.last[peer] = now
	return true
}
