package node

import (
	"sync"
	"time"

	"github.com/lazchain/lazchain/internal/p2p"
)

// epochAsker picks whom to ask for the proof that ended this node's epoch.
// Any peer can claim a later epoch (the claim is an unsigned field of a
// message this node cannot check yet), so asking whoever claimed last let
// one peer flooding such claims take every request and answer none. It
// keeps the distinct claimants and asks the one asked least recently, at
// most once per epochAskEvery: each liar gets one turn per rotation, and an
// honest claimant is asked within maxClaimants turns.
type epochAsker struct {
	mu     sync.Mutex
	last   time.Time // the last request sent
	asked  map[p2p.NodeID]claimant
	seq    uint64 // claims admitted so far
	claims uint64 // highest epoch claimed
}

// claimant orders turns: never asked before asked, then least recently
// asked, then first admitted (an order an attacker cannot grind).
type claimant struct {
	at  time.Time // when last asked (zero: never)
	seq uint64
}

func (c claimant) before(d claimant) bool {
	if !c.at.Equal(d.at) {
		return c.at.Before(d.at)
	}
	return c.seq < d.seq
}

const (
	epochAskEvery = 300 * time.Millisecond
	maxClaimants  = 16
)

func newEpochAsker() *epochAsker { return &epochAsker{asked: map[p2p.NodeID]claimant{}} }

// claim records that from says it is in epoch theirs.
func (a *epochAsker) claim(from p2p.NodeID, theirs uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.claims = max(a.claims, theirs)
	if _, ok := a.asked[from]; ok {
		return
	}
	if len(a.asked) >= maxClaimants {
		// Make room by dropping the claimant asked most recently: it had
		// its turn, and fresh identities cost an attacker nothing.
		var newest p2p.NodeID
		var at time.Time
		for id, c := range a.asked {
			if !c.at.IsZero() && (at.IsZero() || c.at.After(at)) {
				newest, at = id, c.at
			}
		}
		if at.IsZero() {
			return // all waiting for a first turn
		}
		delete(a.asked, newest)
	}
	a.seq++
	a.asked[from] = claimant{seq: a.seq}
}

// next returns the claimant to ask now, if a request is due: one was
// claimed beyond cur, and none was sent in the last epochAskEvery (unless
// force, after an epoch switch).
func (a *epochAsker) next(cur uint64, now time.Time, force bool) (p2p.NodeID, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.claims <= cur || len(a.asked) == 0 || (!force && now.Sub(a.last) < epochAskEvery) {
		return p2p.NodeID{}, false
	}
	var pick p2p.NodeID
	var best claimant
	first := true
	for id, c := range a.asked {
		if first || c.before(best) {
			pick, best, first = id, c, false
		}
	}
	best.at, a.last = now, now
	a.asked[pick] = best
	return pick, true
}
