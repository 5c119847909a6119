package node

import (
	"sync"
	"time"
)

// spareChecks lets a validator check gossiped batches itself, instead of
// holding them for co-verifiers' attestations, up to a rate of
// transactions per second. Sharing checks saves CPU only when CPU is
// short; at low load the wait for an attestation (a network hop and a
// peer's queue) is pure latency, so a lightly loaded validator checks
// everything at once. Past the rate, the extra checking stays bounded.
type spareChecks struct {
	mu     sync.Mutex
	rate   float64 // transactions per second
	burst  float64
	tokens float64
	last   time.Time
}

// Defaults: at 1,000 tx/s one validator spends about 3% of a core on the
// spare checks (ed25519 batch verification, ~30 µs a signature here).
const (
	spareRate  = 1000
	spareBurst = 250
)

func newSpareChecks(rate, burst float64) *spareChecks {
	return &spareChecks{rate: rate, burst: burst, tokens: burst}
}

// take reports whether n more transactions may be checked now, and if so
// counts them.
func (s *spareChecks) take(n int, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.last.IsZero() {
		s.tokens = min(s.burst, s.tokens+now.Sub(s.last).Seconds()*s.rate)
	}
	s.last = now
	if float64(n) > s.tokens {
		return false
	}
	s.tokens -= float64(n)
	return true
}
