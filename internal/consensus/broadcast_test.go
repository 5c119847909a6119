package consensus_test

import (
	"sync/atomic"
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/crypto"
)

// countingScheme counts aggregate checks: each one is a pairing check on
// real BLS, the cost that vote broadcasting must not add to.
type countingScheme struct {
	crypto.Scheme
	aggregates *atomic.Int64
}

func (s countingScheme) VerifyAggregate(pks []crypto.PublicKey, msg, sig []byte) bool {
	s.aggregates.Add(1)
	return s.Scheme.VerifyAggregate(pks, msg, sig)
}

// With BroadcastVotes every validator forms every round's QC from the
// votes itself, so followers commit without waiting for the next proposal,
// and the QC that proposal carries is not checked a second time.
func TestBroadcastVotesEveryoneFormsTheQC(t *testing.T) {
	cases := []struct {
		name      string
		broadcast bool
	}{
		{"votes to the next leader", false},
		{"votes to everyone", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, 1, 1, 1, 1)
			var checks atomic.Int64
			h.set.Scheme = countingScheme{Scheme: h.set.Scheme, aggregates: &checks}
			h.broadcast = c.broadcast
			for i := range h.nodes {
				h.restart(i)
			}
			h.pumpUntil("height 12 everywhere", h.committedAtLeast(12))
			got := uint64(checks.Load()) // before checkTwoChain adds its own

			var formed uint64
			for _, n := range h.nodes {
				checkTwoChain(t, h, n)
				st := n.core.Stats()
				formed += st.QCs
				for d, k := range st.Dropped {
					if k != 0 {
						t.Errorf("node %d dropped %d messages as %s", n.idx, k, consensus.Drop(d))
					}
				}
				everyRound := st.QCs >= uint64(len(n.committed))
				if everyRound != c.broadcast {
					t.Errorf("node %d formed %d QCs over %d commits; forms every round's: %v, want %v",
						n.idx, st.QCs, len(n.committed)-1, everyRound, c.broadcast)
				}
			}
			// Votes to the leader: one check to form each QC and one per
			// follower to accept it from the proposal. Broadcast votes: one
			// per validator to form it, and the proposal's copy is cached.
			if c.broadcast && got != formed {
				t.Errorf("%d aggregate checks for %d QCs formed: proposals' QCs were checked again", got, formed)
			}
			if !c.broadcast && got <= formed {
				t.Errorf("%d aggregate checks for %d QCs formed: followers never checked the proposals' QCs", got, formed)
			}
		})
	}
}
