package consensus

import (
	"cmp"
	"math"
	"slices"

	"github.com/lazchain/lazchain/internal/types"
)

// Leader reputation. Leaders are a stake-weighted draw per round, which
// comes in runs: a crashed validator keeps its share of rounds until the
// epoch jails it, each of its rounds is a timeout, and runs of them double
// the timeout (one validator of four killed at 1,000 tx/s left 11 timeouts
// in 15 s). So the draw weighs a validator that has shown no sign of life
// in the last repWindow committed blocks at a 1/repInactiveShare of its
// stake.
//
// Signs of life are on the chain, so every node sees the same ones: a
// block's proposer, and the signers of its QC (the votes for its parent).
// A QC needs only a quorum, so a live validator can miss a few QCs; it
// must miss repWindow in a row, not proposing either, to be demoted, and it
// is back at full weight once a QC it signed commits. It is demoted, not
// removed, so a validator that is alive but always slowest still leads now
// and then. At most (n-1)/3 validators are demoted at once (see absentAt).
//
// A commit changes the draw only repLag rounds later: a node that commits a
// block a few rounds after the others (the QC that commits it reached it
// later) still agrees with them about every leader. A node further behind
// may disagree until it catches up; that costs rounds, never safety, since
// the safety rules do not depend on who leads.
const (
	repWindow        = 10
	repLag           = 10
	repInactiveShare = 64
	// repKeepRounds bounds how far back leaders are still asked for: votes,
	// proposals and announcements of rounds older than this are stale.
	repKeepRounds = 64
	// repHorizon is how far back "longest silent" looks when more are
	// silent than may be demoted: older silences count as equal, so that
	// a restarted core, which knows only the last RecentNeeded blocks,
	// orders them as the others do.
	repHorizon = 32
)

// RecentNeeded is how many committed blocks below the committed head a
// restarted core needs (Snapshot.Recent) to agree at once with the others
// about leaders: who was seen within repHorizon of each of the last repLag
// commits.
const RecentNeeded = repLag + repHorizon + 1

type reputation struct {
	set       *types.ValidatorSet
	lastSeen  []uint64 // height of the last committed block that showed validator i alive
	demoted   []bool
	next      []bool // scratch for observe, swapped with demoted
	absent    []int  // scratch for observe
	ndemoted  int
	demotions uint64       // validators newly demoted, all told
	marks     []leaderMark // oldest first; from strictly increasing
}

// leaderMark is a draw's weights from round from on; nil cumulative means
// the plain stake-weighted draw.
type leaderMark struct {
	from       uint64
	cumulative []uint64
}

// newReputation counts every validator alive at height, the block the core
// starts from: an epoch begins with everyone at full weight.
func newReputation(set *types.ValidatorSet, height uint64) *reputation {
	n := set.Len()
	r := &reputation{set: set, lastSeen: make([]uint64, n), demoted: make([]bool, n), next: make([]bool, n)}
	for i := range r.lastSeen {
		r.lastSeen[i] = height
	}
	return r
}

// observe takes a committed block, in chain order, and records a new draw
// from b.Round+repLag if the set of demoted validators changed.
func (r *reputation) observe(b *types.Block, now uint64) {
	for i := range r.lastSeen {
		if b.QC != nil && b.QC.Signers.Has(i) {
			r.lastSeen[i] = b.Height
		}
	}
	if int(b.Proposer) < len(r.lastSeen) && !b.IsRoot() {
		r.lastSeen[b.Proposer] = b.Height
	}
	r.absent = r.absentAt(b.Height, r.absent[:0])
	clear(r.next)
	for _, i := range r.absent {
		r.next[i] = true
	}
	changed := false
	for i, d := range r.next {
		if d != r.demoted[i] {
			changed = true
			if d {
				r.demotions++
			}
		}
	}
	r.demoted, r.next = r.next, r.demoted
	r.ndemoted = len(r.absent)
	if changed {
		r.push(leaderMark{from: b.Round + repLag, cumulative: r.weights()}, now)
	}
}

// absentAt appends to out the validators to demote as of height: those with no sign
// of life in the last repWindow blocks, but at most (n-1)/3 of them, the
// longest silent first. More than that many silent is not a crash the
// fault assumption allows for: it is QCs that do not need them (one
// validator holding a quorum alone, or a fast few), and demoting them all
// would hand every round to the few, who then run ahead of the rest.
func (r *reputation) absentAt(height uint64, out []int) []int {
	for i, seen := range r.lastSeen {
		if seen+repWindow <= height {
			out = append(out, i)
		}
	}
	if limit := (len(r.lastSeen) - 1) / 3; len(out) > limit {
		floor := height - min(height, repHorizon)
		key := func(i int) uint64 { return max(r.lastSeen[i], floor) }
		slices.SortStableFunc(out, func(a, b int) int { return cmp.Compare(key(a), key(b)) })
		out = out[:limit]
	}
	return out
}

// unseen reports whether validator i showed no sign of life in the
// StragglerAfter committed blocks up to height.
func (r *reputation) unseen(i int, height uint64) bool {
	return i < len(r.lastSeen) && r.lastSeen[i]+StragglerAfter <= height
}

// weights is the running sum of the draw's weights, or nil when no one is
// demoted.
func (r *reputation) weights() []uint64 {
	if r.ndemoted == 0 {
		return nil
	}
	// Scale the others up rather than the demoted down where the total
	// allows it, so that a stake below repInactiveShare still counts.
	scale := r.set.TotalStake() <= math.MaxUint64/repInactiveShare
	cum := make([]uint64, len(r.demoted))
	var sum uint64
	for i, d := range r.demoted {
		w := r.set.StakeOf(i)
		switch {
		case scale && !d:
			w *= repInactiveShare
		case !scale && d:
			w = max(w/repInactiveShare, 1)
		}
		sum += w
		cum[i] = sum
	}
	return cum
}

// push appends m and forgets marks that no round still asked about needs.
func (r *reputation) push(m leaderMark, now uint64) {
	if k := len(r.marks); k > 0 && r.marks[k-1].from >= m.from {
		r.marks[k-1] = m // same round (an epoch's blocks never share one); keep the latest
	} else {
		r.marks = append(r.marks, m)
	}
	oldest := now - min(now, repKeepRounds)
	drop := 0
	for drop+1 < len(r.marks) && r.marks[drop+1].from <= oldest {
		drop++
	}
	r.marks = r.marks[drop:]
}

// leader returns round's proposer.
func (r *reputation) leader(round uint64) int {
	for k := len(r.marks) - 1; k >= 0; k-- {
		if r.marks[k].from <= round {
			if r.marks[k].cumulative == nil {
				break
			}
			return r.set.LeaderWeighted(round, r.marks[k].cumulative)
		}
	}
	return r.set.Leader(round)
}

// Leader returns the proposer of round as this core sees it now.
func (c *Core) Leader(round uint64) int { return c.rep.leader(round) }

// Demoted returns how many validators the leader draw currently weighs
// down for showing no sign of life in the recent committed blocks.
func (c *Core) Demoted() int { return c.rep.ndemoted }

// seedReputation replays the recent committed blocks a snapshot carries,
// so that a restarted core draws the same leaders as the others.
func seedReputation(set *types.ValidatorSet, recent []*types.Block, committed *types.Block) *reputation {
	var seed []*types.Block
	for _, b := range recent {
		if b.Epoch == set.Epoch && !b.IsRoot() && b.Height < committed.Height &&
			(len(seed) == 0 || b.Height == seed[len(seed)-1].Height+1) {
			seed = append(seed, b)
		}
	}
	if len(seed) > 0 && seed[len(seed)-1].Height+1 != committed.Height {
		seed = nil // not the blocks right below: start afresh rather than from a gap
	}
	if !committed.IsRoot() {
		seed = append(seed, committed)
	}
	if len(seed) == 0 {
		return newReputation(set, committed.Height)
	}
	r := newReputation(set, seed[0].Height-1)
	for _, b := range seed {
		r.observe(b, 0)
	}
	return r
}
