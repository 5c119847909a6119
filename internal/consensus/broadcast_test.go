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
// votes itself, so followers commit without waiting for the next proposal.
// The QC that proposal carries skips its check only when it is the very
// certificate the follower formed; the leader may have aggregated another
// quorum of the same votes, and that copy is checked like any other.
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

			var formed, received uint64
			for _, n := range h.nodes {
				for _, b := range n.committed[1:] {
					if int(b.Proposer) != n.idx {
						received++
					}
				}
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
			// per validator to form it, and one more only for a proposal
			// whose QC has other signers than the follower's own.
			if c.broadcast && (got < formed || got >= formed+received) {
				t.Errorf("%d aggregate checks for %d QCs formed and %d proposals received: want identical copies taken from the cache",
					got, formed, received)
			}
			if !c.broadcast && got <= formed {
				t.Errorf("%d aggregate checks for %d QCs formed: followers never checked the proposals' QCs", got, formed)
			}
		})
	}
}
