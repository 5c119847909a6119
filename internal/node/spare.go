package node

import (
	"sync"
	"time"
)

// spareChecks lets a validator check gossiped batches itself, instead of
// holding them for co-verifiers' attestations, while it checks fewer than
// a rate of signatures per second in all. Sharing checks saves CPU only
// when CPU is short; at low load the wait for an attestation (a network
// hop and a peer's queue) is pure latency, so a lightly loaded validator
// checks everything at once. The checks it must make anyway (its clients'
// transactions, batches it co-verifies) use up the same budget, so under
// load spare checks stop instead of adding a fixed extra cost.
type spareChecks struct {
	mu    sync.Mutex
	rate  float64 // transactions per second
	burst float64
	bucket
}

// Defaults: 2,000 signatures a second is about 6% of a core here
// (ed25519 batch verification, ~30 µs a signature). At 1,000 tx/s offered
// to four validators each checks about 500 a second anyway and the spare
// checks cover the rest; at 10,000 each checks about 5,000 and none are
// spare.
const (
	spareRate  = 2000
	spareBurst = 500
)

func newSpareChecks(rate, burst float64) *spareChecks {
	return &spareChecks{rate: rate, burst: burst, bucket: bucket{tokens: burst}}
}

// take reserves n checks if the budget has room for them now. Several
// batches routed together each see the reservations before them; once
// checked, the reservation is returned (refund) and the checks are
// charged like any other (admitWith), by what was checked.
func (s *spareChecks) take(n int, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refill(now, s.rate, s.burst)
	if float64(n) > s.tokens {
		return false
	}
	s.tokens -= float64(n)
	return true
}

// refund returns a reservation made by take.
func (s *spareChecks) refund(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = min(s.burst, s.tokens+float64(n))
}

// charge counts n signature checks the validator made. The budget may go into
// debt, but never by more than one burst, so a spike of load pauses spare
// checks only briefly.
func (s *spareChecks) charge(n int, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refill(now, s.rate, s.burst)
	s.tokens = max(-s.burst, s.tokens-float64(n))
}

// light reports whether the budget has room left: the validator checks
// fewer signatures than the spare rate (counting spare checks reserved
// and not yet made, so a spare batch may find the node not light). The
// signature batcher then checks a request at once on its caller instead
// of on a bulk worker.
func (s *spareChecks) light(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refill(now, s.rate, s.burst)
	return s.tokens > 0
}
