package node

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lazchain/lazchain/internal/types"
)

// phases times the driver's part of each round, so an operator can see
// where a slow round goes: waiting in the inbox, voting (checking the
// proposal, signing, the synced write), or proposing (building, signing
// and writing a block once a certificate asks for it). Only the driver
// calls it, with the times it read, so it needs no lock.
type phases struct {
	inbox, vote, propose, round prometheus.Observer

	propRound uint64 // round of the last proposal stepped, and when
	propAt    time.Time
	asks      [4]ask // the last rounds the core asked payloads for
	nextAsk   int
	curRound  uint64 // round the core is in, and when it entered it
	curAt     time.Time
}

// ask is when the core asked for a round's payload. A lone validator
// asks for the next round before the proposal of this one has left.
type ask struct {
	round uint64
	at    time.Time
}

func newPhases(reg prometheus.Registerer) *phases {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lazchain_round_phase_seconds",
		Help: "Where rounds spend their time on this node: inbox (a consensus message waiting for the driver), " +
			"vote (from stepping a proposal to sending the vote for it), propose (from the certificate that makes " +
			"this node leader to sending its proposal; on an idle chain it includes the wait for transactions), round (time per round, averaged over rounds entered together).",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}, []string{"phase"})
	reg.MustRegister(h)
	return &phases{inbox: h.WithLabelValues("inbox"), vote: h.WithLabelValues("vote"),
		propose: h.WithLabelValues("propose"), round: h.WithLabelValues("round")}
}

// stepped notes a consensus message that waited in the inbox since
// queued and reached the core at now.
func (p *phases) stepped(m types.Message, queued, now time.Time) {
	if !queued.IsZero() {
		p.inbox.Observe(now.Sub(queued).Seconds())
	}
	if prop, ok := m.(*types.Proposal); ok && prop.Block != nil {
		p.propRound, p.propAt = prop.Block.Round, now
	}
}

// asked notes that the core wants a payload for round; only the first
// ask of a round starts the clock.
func (p *phases) asked(round uint64, now time.Time) {
	for _, a := range p.asks {
		if a.round == round && !a.at.IsZero() {
			return
		}
	}
	p.asks[p.nextAsk] = ask{round: round, at: now}
	p.nextAsk = (p.nextAsk + 1) % len(p.asks)
}

// sent notes an outgoing message: a vote closes the vote phase of the
// proposal stepped for its round, a proposal closes the propose phase.
func (p *phases) sent(m types.Message, now time.Time) {
	switch m := m.(type) {
	case *types.Vote:
		if m.Round == p.propRound && !p.propAt.IsZero() {
			p.vote.Observe(now.Sub(p.propAt).Seconds())
			p.propAt = time.Time{}
		}
	case *types.Proposal:
		for i, a := range p.asks {
			if m.Block != nil && a.round == m.Block.Round && !a.at.IsZero() {
				p.propose.Observe(now.Sub(a.at).Seconds())
				p.asks[i].at = time.Time{}
			}
		}
	}
}

// maxRoundJump is the largest jump whose rounds are timed: a node that
// catches up skips rounds it never ran.
const maxRoundJump = 16

// entered notes the core's round at now. Rounds passed together (a jump
// after a timeout certificate, or catching up) share the time evenly.
func (p *phases) entered(round uint64, now time.Time) {
	switch {
	case p.curAt.IsZero() || round < p.curRound: // first call, or a new epoch's core
		p.curRound, p.curAt = round, now
	case round-p.curRound > maxRoundJump: // catching up: not round time
		p.curRound, p.curAt = round, now
	case round > p.curRound:
		per := now.Sub(p.curAt) / time.Duration(round-p.curRound)
		for r := p.curRound; r < round; r++ {
			p.round.Observe(per.Seconds())
		}
		p.curRound, p.curAt = round, now
	}
}
