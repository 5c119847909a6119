package node

import (
	"slices"
	"time"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/p2p"
)

// stragglerWaits decides how long a leader holds its proposal for late
// votes (consensus.Core.Stragglers: validators the chain has not shown for
// a few blocks): until every connected one it lacks has voted, or
// consensus.straggler_wait_ms (the budget; by default a quarter of the
// base timeout) has passed. A crashed validator is not connected, so it
// costs nothing. One that is connected but does not vote within three
// quarters of the budget (its vote may still make it in) is not waited for
// again for a number of waits that doubles with each such miss, up to
// maxStragglerSkip, and halves with each timely vote. So a validator that
// withholds its votes cannot hold up a proposal every few blocks; one that
// times its vote just inside the threshold can once in every few blocks,
// which costs less than a Byzantine leader can by proposing at the last
// moment of its round.
type stragglerWaits struct {
	epoch    uint64
	round    uint64      // the proposal round of the last hold begun
	waiting  []int       // the validators it is held for
	arrived  []time.Time // when each of waiting voted; zero while it has not
	began    time.Time   // when the hold began
	deadline time.Time   // the payload request plus the budget
	skip     []int       // per validator: waits left to skip it in
	miss     []int       // per validator: the skip its next miss earns
	wake     *time.Timer
}

const maxStragglerSkip = 64

// awaitStragglers reports whether the proposal for p, asked for at since,
// should wait longer for late votes.
func (n *Node) awaitStragglers(p *consensus.PayloadRequest, since time.Time) bool {
	w := &n.straggle
	missing := n.core.Stragglers(p.Round)
	budget := n.genesis.Consensus.StragglerWait()
	if w.round != p.Round {
		if len(missing) == 0 {
			return false // no one to wait for
		}
		v := n.view()
		w.begin(v.epoch.Number, v.set.Len(), p.Round)
		w.waiting = n.wantedStragglers(v.nodeIDs, missing)
		w.arrived = make([]time.Time, len(w.waiting))
		w.began, w.deadline = time.Now(), since.Add(budget)
		if len(w.waiting) > 0 {
			w.wake = time.AfterFunc(time.Until(w.deadline), n.poke)
		}
	}
	if missing == nil {
		w.abandon() // the core moved on: no one was early or late
		return false
	}
	now := time.Now()
	pending := 0
	for k, i := range w.waiting {
		switch {
		case !w.arrived[k].IsZero():
		case !slices.Contains(missing, i):
			w.arrived[k] = now
		default:
			pending++
		}
	}
	if pending > 0 && now.Before(w.deadline) {
		return true
	}
	for _, i := range w.end(n.metrics, w.deadline.Add(-budget/4)) {
		n.log.Warn("a validator's votes keep coming after the wait for late votes: it will drop out of QCs, then the leader draw and, at an epoch's end, the set; if it is live but far, raise consensus.straggler_wait_ms",
			"validator", i, "straggler_wait", budget)
	}
	return false
}

// begin starts holding the proposal of round (in epoch, with n
// validators), forgetting a hold that never ended.
func (w *stragglerWaits) begin(epoch uint64, n int, round uint64) {
	if w.epoch != epoch || len(w.skip) != n {
		w.epoch, w.skip, w.miss = epoch, make([]int, n), make([]int, n) // indices are the epoch's
	}
	w.abandon()
	w.round = round
}

// abandon stops holding without judging anyone.
func (w *stragglerWaits) abandon() {
	if w.wake != nil {
		w.wake.Stop()
		w.wake = nil
	}
	w.waiting, w.arrived = nil, nil
}

// end stops holding. A validator that did not vote before cutoff (three
// quarters of the budget) missed the wait and is skipped for longer next
// time; one that did has its back-off halved. It returns the validators
// whose back-off just reached its cap: the ones to warn the operator of.
func (w *stragglerWaits) end(m *metrics, cutoff time.Time) []int {
	var capped []int
	if len(w.waiting) > 0 && m != nil {
		m.stragglerWait.Observe(time.Since(w.began).Seconds())
	}
	for k, i := range w.waiting {
		if w.arrived[k].IsZero() || w.arrived[k].After(cutoff) {
			if 2*w.miss[i]+1 >= maxStragglerSkip && w.miss[i] < maxStragglerSkip {
				capped = append(capped, i)
			}
			w.miss[i] = min(maxStragglerSkip, 2*w.miss[i]+1)
			w.skip[i] = w.miss[i]
			if m != nil {
				m.stragglers.WithLabelValues("missed").Inc()
			}
		} else {
			w.miss[i] /= 2
			if m != nil {
				m.stragglers.WithLabelValues("in_time").Inc()
			}
		}
	}
	w.abandon()
	return capped
}

// wantedStragglers returns the missing validators worth waiting for:
// connected, and not skipped (a skipped one's count goes down by one).
func (n *Node) wantedStragglers(ids []p2p.NodeID, missing []int) []int {
	peers := map[p2p.NodeID]bool{}
	for _, id := range n.host.Peers() {
		peers[id] = true
	}
	return n.straggle.wanted(missing, func(i int) bool { return i < len(ids) && peers[ids[i]] })
}

// wanted returns the validators of missing that are connected and not
// skipped, counting down the skip of those that are.
func (w *stragglerWaits) wanted(missing []int, connected func(int) bool) []int {
	var out []int
	for _, i := range missing {
		switch {
		case i >= len(w.skip) || !connected(i):
		case w.skip[i] > 0:
			w.skip[i]--
		default:
			out = append(out, i)
		}
	}
	return out
}

// poke wakes the driver loop.
func (n *Node) poke() {
	select {
	case n.kick <- struct{}{}:
	default:
	}
}
