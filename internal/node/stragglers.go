package node

import (
	"slices"
	"time"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/p2p"
)

// stragglerWaits decides how long a leader holds its proposal for late
// votes (consensus.Core.Stragglers): until every connected validator it
// lacks has voted, or a quarter of the base timeout has passed. A crashed
// validator is not connected, so it costs nothing. One that is connected
// but lets a wait run out is not waited for again for a number of sampled
// rounds that doubles with each miss, so a validator that withholds its
// votes cannot make every fourth round slow.
type stragglerWaits struct {
	round   uint64 // the proposal round being held, 0 when none
	waiting []int  // the validators it is held for
	skip    []int  // per validator: sampled rounds left not to wait for it
	miss    []int  // per validator: the skip its next miss earns
	wake    *time.Timer
}

const maxStragglerSkip = 64

// awaitStragglers reports whether the proposal for p, asked for at since,
// should wait longer for late votes.
func (n *Node) awaitStragglers(p *consensus.PayloadRequest, since time.Time) bool {
	w := &n.straggle
	missing := n.core.Stragglers(p.Round)
	if w.round != p.Round {
		w.begin(p.Round, n.wantedStragglers(missing))
		if len(w.waiting) == 0 {
			return false
		}
	}
	left := time.Duration(n.genesis.Consensus.BaseTimeoutMs)*time.Millisecond/4 - time.Since(since)
	late := slices.DeleteFunc(slices.Clone(w.waiting), func(i int) bool { return !slices.Contains(missing, i) })
	if len(late) > 0 && left > 0 {
		if w.wake == nil {
			w.wake = time.AfterFunc(left, n.poke)
		}
		return true
	}
	n.metrics.stragglers.WithLabelValues("missed").Add(float64(len(late)))
	n.metrics.stragglers.WithLabelValues("in_time").Add(float64(len(w.waiting) - len(late)))
	w.end(late)
	return false
}

// begin starts holding the proposal of round for the validators in want,
// and counts every validator's skip down by one sampled round.
func (w *stragglerWaits) begin(round uint64, want []int) {
	w.round, w.waiting = round, want
	for i := range w.skip {
		w.skip[i] = max(0, w.skip[i]-1)
	}
}

// end stops holding: the validators in late let the wait run out and wait
// longer for their next chance; the others came in time and start over.
func (w *stragglerWaits) end(late []int) {
	for _, i := range w.waiting {
		if slices.Contains(late, i) {
			w.miss[i] = min(maxStragglerSkip, 2*w.miss[i]+1)
			w.skip[i] = w.miss[i]
		} else {
			w.miss[i] = 0
		}
	}
	w.waiting = nil
	if w.wake != nil {
		w.wake.Stop()
		w.wake = nil
	}
}

// wantedStragglers returns the missing validators worth waiting for:
// connected, and not skipped.
func (n *Node) wantedStragglers(missing []int) []int {
	if len(missing) == 0 {
		return nil
	}
	v, w := n.view(), &n.straggle
	if len(w.skip) != v.set.Len() {
		w.skip, w.miss = make([]int, v.set.Len()), make([]int, v.set.Len())
	}
	peers := map[p2p.NodeID]bool{}
	for _, id := range n.host.Peers() {
		peers[id] = true
	}
	var out []int
	for _, i := range missing {
		if i < len(v.nodeIDs) && peers[v.nodeIDs[i]] && w.skip[i] == 0 {
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
