package consensus_test

import (
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
)

// With AuthenticatedSenders, the transport vouches for who sent a message:
// a proposal straight from its proposer skips the BLS check of its
// signature, but the same proposal relayed by anyone else is checked.
func TestAuthenticatedSendersSkipOnlyDirectProposals(t *testing.T) {
	cases := []struct {
		name      string
		relayed   bool
		wantDrops uint64
	}{
		{"direct from the proposer", false, 0},
		{"relayed by another validator", true, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, 1, 1, 1, 1)
			h.authenticated = true
			for i := range h.nodes {
				h.restart(i)
			}
			r := h.roundWhere(4, func(r uint64) bool { return h.leader(r) != h.leader(r+1) })
			h.pauseAt(r)
			collector := h.leader(r + 1)
			p := &paused{harness: h, R: r, collector: collector, others: h.othersThan(collector), proposed: h.blockAt(collector, r)}
			prop := h.signProposal(p.block2(), nil)
			prop.Sig = corrupt(prop.Sig)
			from := h.leader(r)
			if c.relayed {
				from = h.othersThan(from, collector)[0]
			}
			before := h.drops(collector, consensus.DropBadSignature)
			h.deliver(from, collector, prop)
			if got := h.drops(collector, consensus.DropBadSignature) - before; got != c.wantDrops {
				t.Fatalf("bad-signature drops %d, want %d", got, c.wantDrops)
			}
		})
	}
}
