package consensus_test

import (
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/types"
)

// A validator flooding a core with forged certificates (each a pairing
// check) gets maxStrikes of them checked per round; the rest are dropped
// unchecked. Timeouts, proposals that are not the round's and a leader's
// extra proposals are the ways in. Another validator's messages are still
// checked, and a new round starts a new count.
func TestForgedCertificatesStrikeOut(t *testing.T) {
	// Above the collector's high QC (round R-1), so that it would move it.
	forgedQC := func(p *paused, seed byte) *types.QC {
		qc := p.makeQC(p.R, types.HashOf([]byte{seed}), p.others[0], p.others[1], p.others[2])
		qc.Sig = corrupt(qc.Sig)
		return qc
	}
	cases := []struct {
		name string
		send func(p *paused, from int, i byte)
	}{
		{"timeouts", func(p *paused, from int, i byte) {
			p.deliver(from, p.collector, p.signTimeout(from, p.R+1, forgedQC(p, i), nil))
		}},
		{"proposals not the round's", func(p *paused, from int, i byte) {
			b := types.NewBlock(testEpoch, p.R+1, p.proposed.Height+1, forgedQC(p, i), uint32(from), payload(uint64(i)))
			p.deliver(from, p.collector, p.signProposal(b, nil))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := pause(t)
			c := p.core(p.collector)
			flooder, honest := p.others[0], p.others[1]
			if p.leader(p.R+1) == flooder {
				flooder, honest = honest, flooder
			}
			checked := func() uint64 { return p.drops(p.collector, consensus.DropBadSignature) }
			before := checked()
			for i := range byte(50) {
				tc.send(p, flooder, i)
			}
			if got := checked() - before; got != 2 {
				t.Fatalf("%d forged certificates checked from one validator in a round, want 2", got)
			}
			if got := p.drops(p.collector, consensus.DropStruck); got != 48 {
				t.Fatalf("%d dropped unchecked, want 48", got)
			}
			tc.send(p, honest, 99)
			if got := checked() - before; got != 3 {
				t.Fatal("another validator's certificate went unchecked")
			}
			if c.HighQC().Round >= p.R {
				t.Fatal("a forged certificate moved the high QC")
			}
		})
	}
}
