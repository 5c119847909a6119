package consensus_test

import (
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/types"
)

// announcements returns the QC announcements among r's messages.
func announcements(r consensus.Ready) []*types.QC {
	var out []*types.QC
	for _, m := range r.Messages {
		if c, ok := m.Msg.(*types.Certified); ok {
			out = append(out, c.QC)
		}
	}
	return out
}

// A leader announces the aggregate of a quorum of votes before it checks
// it, and takes the QC up only on the CheckAnnounced step; a Byzantine
// share makes the announcement fail everyone's check, and the leader
// then forms the QC from the valid votes, one that came after the
// announcement included, without announcing the round twice.
func TestLeaderAnnouncesBeforeItChecks(t *testing.T) {
	cases := []struct {
		name      string
		badShare  bool
		valid     bool // the announced aggregate checks out
		laterVote bool // a third vote arrives between announcement and check
		wantQC    bool // the round's QC is taken up in the end
	}{
		{"honest votes", false, true, false, true},
		{"a bad share, no other vote", true, false, false, false},
		{"a bad share, then a valid vote", true, false, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := pause(t)
			c := p.core(p.collector)
			c.Ready()
			before := c.HighQC().Round
			a, b, d := p.others[0], p.others[1], p.others[2]
			vb := p.signVote(b, p.R, p.proposed.ID())
			if tc.badShare {
				vb.Sig = corrupt(vb.Sig)
			}
			c.Step(&consensus.Receive{From: a, Msg: p.signVote(a, p.R, p.proposed.ID())})
			c.Step(&consensus.Receive{From: b, Msg: vb})
			r := c.Ready()
			ann := announcements(r)
			if len(ann) != 1 || !r.CheckAnnounced || !c.Announcing() {
				t.Fatalf("after a quorum of votes: %d announcements, CheckAnnounced %v, Announcing %v; want 1, true, true", len(ann), r.CheckAnnounced, c.Announcing())
			}
			msg := types.VoteSigningBytes(p.set.ChainID, p.set.Epoch, p.R, p.proposed.ID())
			if ok := p.set.VerifyAggregate(ann[0].Signers, msg, ann[0].Sig) == nil; ok != tc.valid {
				t.Fatalf("announced aggregate checks out: %v, want %v", ok, tc.valid)
			}
			if c.HighQC().Round != before || r.Payload != nil {
				t.Fatalf("the QC was taken up before its check: high QC %d, payload %v", c.HighQC().Round, r.Payload)
			}
			if tc.laterVote {
				c.Step(&consensus.Receive{From: d, Msg: p.signVote(d, p.R, p.proposed.ID())})
			}
			c.Step(&consensus.CheckAnnounced{})
			r = c.Ready()
			if len(announcements(r)) != 0 || c.Announcing() {
				t.Errorf("round announced twice, or still announcing")
			}
			if got := c.HighQC().Round == p.R; got != tc.wantQC {
				t.Fatalf("QC of round %d taken up: %v, want %v (high QC %d)", p.R, got, tc.wantQC, c.HighQC().Round)
			}
			if tc.wantQC {
				if err := c.HighQC().Verify(p.set, p.genesis.ID()); err != nil {
					t.Errorf("the QC taken up does not verify: %v", err)
				}
				if r.Payload == nil || r.Payload.Round != p.R+1 {
					t.Errorf("leader of round %d did not ask for its payload: %+v", p.R+1, r.Payload)
				}
			}
			if bad := c.Stats().Dropped[consensus.DropBadSignature]; bad != map[bool]uint64{true: 1}[tc.badShare] {
				t.Errorf("Dropped[bad signature] = %d", bad)
			}
		})
	}
}
