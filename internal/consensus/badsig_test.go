package consensus_test

import (
	"sync/atomic"
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/crypto"
	"github.com/lazchain/lazchain/internal/types"
)

// singleChecks counts the scheme's single-signature checks.
type singleChecks struct {
	crypto.Scheme
	n *atomic.Int64
}

func (s singleChecks) Verify(pk crypto.PublicKey, msg, sig []byte) bool {
	s.n.Add(1)
	return s.Scheme.Verify(pk, msg, sig)
}

// A bad signature is never stored, so nothing stopped its next copy: a
// validator sending timeouts with bad signatures of its own, or relaying
// proposals with bad ones, cost the driver a pairing check each, without
// end. Each now counts as a strike: maxStrikes checks a round, then its
// messages are dropped unchecked.
func TestBadSignaturesStrikeOut(t *testing.T) {
	t.Run("own timeouts", func(t *testing.T) {
		p := pause(t)
		var checks atomic.Int64
		p.set.Scheme = singleChecks{Scheme: p.set.Scheme, n: &checks}
		c := p.core(p.collector)
		flooder := p.others[0]
		for i := 0; i < 200; i++ {
			tmo := p.signTimeout(flooder, c.Round()+uint64(i%50), c.HighQC(), nil)
			tmo.Sig = corrupt(tmo.Sig)
			p.deliver(flooder, p.collector, tmo)
		}
		if n := checks.Load(); n > 2 {
			t.Fatalf("200 bad timeouts from one validator cost %d signature checks", n)
		}
		if p.drops(p.collector, consensus.DropStruck) == 0 {
			t.Fatal("no timeout dropped as struck out")
		}
		// Another validator's good timeout is still checked and counted.
		other := p.others[1]
		p.deliver(other, p.collector, p.signTimeout(other, c.Round(), c.HighQC(), nil))
		if n := checks.Load(); n < 3 {
			t.Fatalf("another validator's timeout went unchecked (%d checks)", n)
		}
	})
	t.Run("relayed proposals", func(t *testing.T) {
		h := newHarness(t, 1, 1, 1, 1)
		h.authenticated = true // as the node runs
		for i := range h.nodes {
			h.restart(i)
		}
		r := h.roundWhere(4, func(r uint64) bool { return h.leader(r) != h.leader(r+1) })
		h.pauseAt(r)
		collector := h.leader(r + 1)
		var checks atomic.Int64
		h.set.Scheme = singleChecks{Scheme: h.set.Scheme, n: &checks}
		proposed := h.blockAt(collector, r)
		leader := h.leader(r)
		flooder := h.othersThan(leader, collector)[0]
		for i := 0; i < 200; i++ {
			b := types.NewBlock(testEpoch, r, proposed.Height, proposed.QC, uint32(leader), payload(uint64(5000+i)))
			prop := h.signProposal(b, nil)
			prop.Sig = corrupt(prop.Sig)
			h.deliver(flooder, collector, prop)
		}
		if n := checks.Load(); n > 2 {
			t.Fatalf("200 relayed bad proposals cost %d signature checks", n)
		}
		if h.drops(collector, consensus.DropStruck) == 0 {
			t.Fatal("no relayed proposal dropped as struck out")
		}
	})
}
