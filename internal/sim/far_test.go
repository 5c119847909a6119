package sim

import (
	"fmt"
	"testing"
)

// A validator far from the others (a WAN link slower than the others'
// rounds) must keep committing, and catch up after a crash: its votes
// always come after a quorum's, and every block it fetches is answered
// dozens of rounds later.
func TestFarValidatorKeepsUp(t *testing.T) {
	for _, far := range []uint64{50, 100, 200, 1000} {
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
				far, near := s.nodes[0], s.nodes[1]
				if far.height == 0 || far.height+r.Config.Rounds/10 < near.height {
					t.Fatalf("far node at height %d, a near one at %d", far.height, near.height)
				}
				var led, signed int
				for _, b := range near.disk.chain {
					if b.Proposer == 0 {
						led++
					}
					if b.QC != nil && b.QC.Signers.Has(0) {
						signed++
					}
				}
				t.Logf("far node: height %d of %d, proposed %d and signed the QC of %d of the committed blocks, stake %d of %d",
					far.height, near.height, led, signed, s.set.StakeOf(0), s.set.TotalStake())
			})
		}
	}
}
