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
// loop), so each peer gets a steady rate and a small burst of them. With
// p2p.open anyone may connect under a fresh key, so buckets that have
// refilled (no different from new ones) are swept as the map grows.
type limiter struct {
	rate, burst float64 // tokens per second, bucket size
	now         func() time.Time

	mu      sync.Mutex
	buckets map[p2p.NodeID]*bucket
	sweepAt int // sweep refilled buckets when the map reaches this size
}

const minSweep = 1024

// bucket is a token bucket's level; its owner keeps the rate and size.
type bucket struct {
	tokens float64
	last   time.Time
}

// refill adds what rate earned since the last refill, up to burst; the
// first call only starts the clock, and a clock that went back earns
// nothing.
func (b *bucket) refill(now time.Time, rate, burst float64) {
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens = min(burst, b.tokens+now.Sub(b.last).Seconds()*rate)
	}
	if now.After(b.last) {
		b.last = now
	}
}

func newLimiter(rate, burst float64) *limiter {
	return &limiter{rate: rate, burst: burst, now: time.Now, buckets: map[p2p.NodeID]*bucket{}, sweepAt: minSweep}
}

// allow takes a token of id's bucket, or reports false when it is empty.
func (l *limiter) allow(id p2p.NodeID) bool {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[id]
	if b == nil {
		if len(l.buckets) >= l.sweepAt {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst}
		l.buckets[id] = b
	}
	b.refill(now, l.rate, l.burst)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// sweep drops the buckets that have refilled: a full bucket allows what a
// new one does. The next sweep waits for the map to double, so sweeping
// costs a constant per bucket.
func (l *limiter) sweep(now time.Time) {
	for id, b := range l.buckets {
		if b.refill(now, l.rate, l.burst); b.tokens >= l.burst {
			delete(l.buckets, id)
		}
	}
	l.sweepAt = max(minSweep, 2*len(l.buckets))
}
