package node

import (
	"sync"
	"time"

	"github.com/lazchain/lazchain/internal/p2p"
)

// limiter is a token bucket per peer. Peers are authenticated and trusted
// to connect, not to behave: some requests cost this node far more than
// they cost the sender (a 50-byte block request answered with megabytes
// read from disk, an epoch proof that costs a pairing check on the driver
// loop), so each peer gets a steady rate and a small burst of them. The
// map holds only peers that connected, whose number the trusted set bounds.
type limiter struct {
	rate, burst float64 // tokens per second, bucket size
	now         func() time.Time

	mu      sync.Mutex
	buckets map[p2p.NodeID]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate, burst float64) *limiter {
	return &limiter{rate: rate, burst: burst, now: time.Now, buckets: map[p2p.NodeID]*bucket{}}
}

// allow takes a token of id's bucket, or reports false when it is empty.
func (l *limiter) allow(id p2p.NodeID) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[id]
	if b == nil {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[id] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
