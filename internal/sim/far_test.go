package sim

import (
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
)

// A validator far from the others (a WAN link slower than the others'
// rounds) must keep committing, and catch up after a crash: its votes
// always come after a quorum's, and every block it fetches is answered
// dozens of rounds later. While its round trip fits in the leader's wait
// for late votes (stragglerWait), it must also keep its place: in a QC
// every few blocks, so that the chain does not take it for down, and in
// the leader draw, where it proposes about its share of the blocks (it is
// down for a while, so a QC in every 2·StragglerAfter blocks and half its
// share is the bar).
func TestFarValidatorKeepsUp(t *testing.T) {
	for _, far := range []uint64{20, 35, 200, 1000} {
		for seed := uint64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("far=%dms/seed=%d", far, seed), func(t *testing.T) {
				s := newSimulation(Config{Seed: seed, Validators: 4, Byzantine: 0, FaultsName: "none",
					Rounds: 600, LivenessRounds: 400, FarDelay: far})
				s.sched.push(&event{at: 2000, kind: evCrash, node: 0}) // restarts 0.4-2 s later
				r := s.run()
				if r.Failed() || !r.Live {
					t.Fatalf("live %v, violations %v\nreplay: %s", r.Live, r.Violations, r.Config.ReplayCommand())
				}
				if r.Crashes != 1 {
					t.Fatalf("node 0 crashed %d times, want 1", r.Crashes)
				}
				far0, near := s.nodes[0], s.nodes[1]
				if far0.height == 0 || far0.height+r.Config.Rounds/10 < near.height {
					t.Fatalf("far node at height %d, a near one at %d", far0.height, near.height)
				}
				led, signed := 0, 0 // signed: QCs that others formed
				for _, b := range near.disk.chain {
					if b.Proposer == 0 {
						led++
					} else if b.QC != nil && b.QC.Signers.Has(0) {
						signed++
					}
				}
				blocks := len(near.disk.chain)
				share := float64(blocks) * float64(s.set.StakeOf(0)) / float64(s.set.TotalStake())
				t.Logf("far node: height %d of %d; proposed %d blocks (stake share %.0f), signed %d QCs formed by others",
					far0.height, near.height, led, share, signed)
				// Its vote trails the quorum's by up to twice its delay plus
				// two calm hops (5-18 ms) less the quorum's own.
				if 2*far+26 > s.stragglerWait() {
					// Its round trip is longer than the wait: it is in no QC
					// but those it forms, and an epoch's end would jail it
					// for downtime. Only liveness is asked of it.
					return
				}
				if signed < blocks/(2*consensus.StragglerAfter) || float64(led) < share/2 {
					t.Errorf("far node signed %d QCs of others in %d blocks and proposed %d (share %.0f)", signed, blocks, led, share)
				}
			})
		}
	}
}
