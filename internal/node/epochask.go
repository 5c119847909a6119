package node

import (
	"sync"
	"time"

	"github.com/lazchain/lazchain/internal/p2p"
)

// epochAsker picks whom to ask for the proof that ended this node's epoch.
// Any peer can claim a later epoch (the claim is an unsigned field of a
// message this node cannot check yet), so asking whoever claimed last let
// one peer flooding such claims take every request and answer none.
// Claimants are kept per peer with the epoch each claims, in two pools:
// trusted ones (validators of the node's epoch, configured peers) and up
// to maxClaimants others, where fresh identities cost an attacker nothing.
// Turns alternate between the pools, and within a pool go to the claimant
// asked least recently, so a trusted claimant is asked at least every
// other turn however many identities flood the other pool. A claimant at
// or below this node's epoch, or not connected, is skipped; at most one
// request leaves per epochAskEvery, unless forced after an epoch switch.
// An untrusted claimant is asked again only after a wait that doubles
// with each request it leaves without a proof, up to maxEpochAskWait: a
// lie about a far later epoch, which no proof can back, then costs a
// request every few seconds, not every other turn for as long as the
// liar stays connected. A proof from it resets the wait, and a forced
// request (an epoch switch is progress) ignores it.
type epochAsker struct {
	mu      sync.Mutex
	last    time.Time // the last request sent
	trusted map[p2p.NodeID]*claimant
	others  map[p2p.NodeID]*claimant
	seq     uint64 // claims admitted so far
	flip    bool   // the last turn went to the trusted pool
	served  p2p.NodeID
}

// claimant orders turns: never asked before asked, then least recently
// asked, then first admitted (an order an attacker cannot grind).
type claimant struct {
	epoch uint64
	at    time.Time     // when last asked (zero: never)
	wait  time.Duration // before it is asked again (untrusted only)
	seq   uint64
}

// due reports whether c may be asked at now.
func (c *claimant) due(now time.Time) bool {
	return c.at.IsZero() || now.Sub(c.at) >= c.wait
}

func (c *claimant) before(d *claimant) bool {
	if !c.at.Equal(d.at) {
		return c.at.Before(d.at)
	}
	return c.seq < d.seq
}

const (
	epochAskEvery   = 300 * time.Millisecond
	maxEpochAskWait = 10 * time.Second
	maxClaimants    = 16
)

func newEpochAsker() *epochAsker {
	return &epochAsker{trusted: map[p2p.NodeID]*claimant{}, others: map[p2p.NodeID]*claimant{}}
}

// claim records that from says it is in epoch theirs.
func (a *epochAsker) claim(from p2p.NodeID, theirs uint64, trusted bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	pool := a.others
	if trusted {
		pool = a.trusted
		delete(a.others, from)
	}
	if c, ok := pool[from]; ok {
		c.epoch = max(c.epoch, theirs)
		return
	}
	if !trusted && len(pool) >= maxClaimants {
		// Make room by dropping the claimant asked most recently: it had
		// its turn.
		var newest p2p.NodeID
		var at time.Time
		for id, c := range pool {
			if !c.at.IsZero() && (at.IsZero() || c.at.After(at)) {
				newest, at = id, c.at
			}
		}
		if at.IsZero() {
			return // all waiting for a first turn
		}
		delete(pool, newest)
	}
	a.seq++
	pool[from] = &claimant{epoch: theirs, seq: a.seq}
}

// proved records that from sent a proof: after the switch it is the one
// most likely to have the next.
func (a *epochAsker) proved(from p2p.NodeID) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.served = from
	if c, ok := a.others[from]; ok {
		c.wait = 0
	}
}

// next returns the claimant to ask now, if a request is due: a connected
// claimant is beyond cur, and none was sent in the last epochAskEvery
// (unless force, after an epoch switch, when the peer that sent the last
// proof goes first if it claims more).
func (a *epochAsker) next(cur uint64, now time.Time, force bool, connected func(p2p.NodeID) bool) (p2p.NodeID, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !force && now.Sub(a.last) < epochAskEvery {
		return p2p.NodeID{}, false
	}
	if force {
		for _, pool := range []map[p2p.NodeID]*claimant{a.trusted, a.others} {
			if c, ok := pool[a.served]; ok && c.epoch > cur && connected(a.served) {
				c.at, a.last = now, now
				return a.served, true
			}
		}
	}
	// Alternate: after a trusted turn, the others go first.
	order := []bool{true, false}
	if a.flip {
		order = []bool{false, true}
	}
	for _, trusted := range order {
		pool := a.others
		if trusted {
			pool = a.trusted
		}
		var pick p2p.NodeID
		var best *claimant
		for id, c := range pool {
			if c.epoch > cur && (trusted || force || c.due(now)) && connected(id) && (best == nil || c.before(best)) {
				pick, best = id, c
			}
		}
		if best != nil {
			best.at, a.last, a.flip = now, now, trusted
			if !trusted {
				best.wait = min(maxEpochAskWait, max(epochAskEvery, 2*best.wait))
			}
			return pick, true
		}
	}
	return p2p.NodeID{}, false
}

// askedRecently reports whether from was asked for a proof in the last
// few seconds: its answer is wanted, so it need not share the budget of
// proofs from peers nobody asked.
func (a *epochAsker) askedRecently(from p2p.NodeID, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, pool := range []map[p2p.NodeID]*claimant{a.trusted, a.others} {
		if c, ok := pool[from]; ok && !c.at.IsZero() && now.Sub(c.at) < askedWindow {
			return true
		}
	}
	return false
}

// askedWindow is how long after asking a peer its proof is wanted.
const askedWindow = 5 * time.Second
