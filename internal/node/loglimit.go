package node

import (
	"sync"
	"time"

	"github.com/lazchain/lazchain/internal/p2p"
)

// perPeerEvery lets a per-peer log line through at most once per period:
// a misbehaving peer must not flood the log with the same complaint.
type perPeerEvery struct {
	period time.Duration

	mu   sync.Mutex
	last map[p2p.NodeID]time.Time
}

// maxLoggedPeers bounds the peers remembered; past it the memory starts
// over, which at worst lets one more line per peer through.
const maxLoggedPeers = 1024

func newPerPeerEvery(period time.Duration) *perPeerEvery {
	return &perPeerEvery{period: period, last: map[p2p.NodeID]time.Time{}}
}

// due reports whether a line about peer may be logged now, and if so
// starts its period.
func (e *perPeerEvery) due(peer p2p.NodeID, now time.Time) bool {
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
