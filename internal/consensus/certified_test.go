package consensus_test

import (
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/types"
)

// A QC announced ahead of its proposal moves a validator only when it
// comes from the leader that formed it and checks out; anything else is
// dropped under its reason and changes nothing.
func TestCertifiedAnnouncements(t *testing.T) {
	cases := []struct {
		name    string
		send    func(p *paused, to int)
		want    consensus.Drop // -1: no drop
		advance bool           // the receiver adopts the QC
	}{
		{"from the leader that formed it", func(p *paused, to int) {
			p.deliver(p.collector, to, &types.Certified{QC: p.quorumQC()})
		}, -1, true},
		{"with too few signers", func(p *paused, to int) {
			p.deliver(p.collector, to, &types.Certified{QC: p.makeQC(p.R, p.proposed.ID(), p.collector)})
		}, consensus.DropBadSignature, false},
		{"with a bad aggregate", func(p *paused, to int) {
			qc := p.quorumQC()
			qc.Sig = corrupt(qc.Sig)
			p.deliver(p.collector, to, &types.Certified{QC: qc})
		}, consensus.DropBadSignature, false},
		{"from a validator that did not form it", func(p *paused, to int) {
			p.deliver(p.othersThan(p.collector, to)[0], to, &types.Certified{QC: p.quorumQC()})
		}, consensus.DropNotLeader, false},
		{"relayed by nobody in particular", func(p *paused, to int) {
			p.deliver(-1, to, &types.Certified{QC: p.quorumQC()})
		}, consensus.DropNotLeader, false},
		{"of another epoch", func(p *paused, to int) {
			qc := p.quorumQC()
			qc.Epoch++
			p.deliver(p.collector, to, &types.Certified{QC: qc})
		}, consensus.DropWrongEpoch, false},
		{"ahead of its block: ignored, not fetched", func(p *paused, to int) {
			other := types.HashOf([]byte("a block still on its way"))
			o := p.othersThan(p.collector)
			p.deliver(p.collector, to, &types.Certified{QC: p.makeQC(p.R, other, p.collector, o[0], o[1])})
			if n := len(p.sent(allOf(from(to), ofKind(types.KindBlockRequest)))); n > 0 {
				p.t.Errorf("receiver sent %d block requests for an announced block", n)
			}
		}, -1, false},
		{"for a later round, even forged: ignored, and the current round's still counts", func(p *paused, to int) {
			later := p.makeQC(p.R+5, p.proposed.ID(), p.leader(p.R+6))
			p.deliver(p.leader(p.R+6), to, &types.Certified{QC: later})
			p.deliver(p.collector, to, &types.Certified{QC: p.quorumQC()})
		}, -1, true},
		{"old news: a QC the receiver has", func(p *paused, to int) {
			p.deliver(p.leader(p.R), to, &types.Certified{QC: p.proposed.QC})
		}, -1, false},
		{"a second try after a bad one", func(p *paused, to int) {
			bad := p.quorumQC()
			bad.Sig = corrupt(bad.Sig)
			p.deliver(p.collector, to, &types.Certified{QC: bad})
			p.deliver(p.collector, to, &types.Certified{QC: p.quorumQC()})
		}, consensus.DropDuplicate, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := pause(t)
			to := p.others[0]
			c := p.core(to)
			before, dropsBefore := stateOf(c), c.Stats().Dropped
			tc.send(p, to)
			after := stateOf(c)
			switch {
			case tc.advance && (after.highQC.Round != p.R || after.round != p.R+1):
				t.Errorf("receiver at round %d with high QC of round %d, want %d and %d", after.round, after.highQC.Round, p.R+1, p.R)
			case !tc.advance && after != before:
				t.Errorf("state changed: %+v -> %+v", before, after)
			}
			dropsAfter := c.Stats().Dropped
			for d := range dropsAfter {
				want := dropsBefore[d]
				if tc.want >= 0 && consensus.Drop(d) == tc.want {
					want++
				}
				if tc.name == "a second try after a bad one" && consensus.Drop(d) == consensus.DropBadSignature {
					want++ // the first, bad, announcement
				}
				if dropsAfter[d] != want {
					t.Errorf("Dropped[%s] = %d, want %d", consensus.Drop(d), dropsAfter[d], want)
				}
			}
		})
	}
}

// quorumQC is a valid QC for the block of round R, signed by three of four.
func (p *paused) quorumQC() *types.QC {
	o := p.othersThan(p.collector)
	return p.makeQC(p.R, p.proposed.ID(), p.collector, o[0], o[1])
}

// The leader that forms a QC announces it to every validator.
func TestLeaderAnnouncesQC(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 1)
	h.pumpUntil("height 5", h.committedAtLeast(5))
	announced := h.sent(ofKind(types.KindCertified))
	if len(announced) == 0 {
		t.Fatal("no QC was announced")
	}
	for _, e := range announced {
		qc := e.msg.(*types.Certified).QC
		if e.from != h.leader(qc.Round+1) {
			t.Errorf("QC of round %d announced by %d, want its collector %d", qc.Round, e.from, h.leader(qc.Round+1))
		}
	}
}
