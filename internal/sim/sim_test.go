package sim

import (
	"flag"
	"fmt"
	"strings"
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/types"
)

var (
	seeds     = flag.Int("sim.seeds", 2000, "seeds to run across the fault mixes")
	firstSeed = flag.Uint64("sim.first", 1, "first seed")
)

func sweep(t *testing.T, cfgs []Config) []Result {
	t.Helper()
	return Sweep(cfgs, 0)
}

// mixConfig spreads seeds over fault mixes and committee sizes, with the
// most Byzantine validators each size allows.
func mixConfig(seed uint64) Config {
	mixes := []string{"none", "net", "partition", "crash", "all"}
	sizes := []int{4, 5, 7, 10, 13}
	mix := mixes[seed%uint64(len(mixes))]
	n := sizes[(seed/uint64(len(mixes)))%uint64(len(sizes))]
	return Config{Seed: seed, Validators: n, Byzantine: (n - 1) / 3, Faults: Mixes[mix], FaultsName: mix}
}

// The invariants under every fault mix: no two honest validators commit
// different blocks at a height, and after the heal they commit again
// within the round bound.
func TestSafetyAndLivenessAcrossSeeds(t *testing.T) {
	n := *seeds
	if testing.Short() {
		n = 200
	}
	cfgs := make([]Config, n)
	for i := range cfgs {
		cfgs[i] = mixConfig(*firstSeed + uint64(i))
	}
	var worst uint64
	for _, r := range sweep(t, cfgs) {
		if r.Failed() {
			t.Errorf("seed %d failed:\n  %s\nreplay: %s", r.Config.Seed, strings.Join(r.Violations, "\n  "), r.Config.ReplayCommand())
			continue
		}
		if r.Height == 0 {
			t.Errorf("seed %d: nothing committed; replay: %s", r.Config.Seed, r.Config.ReplayCommand())
		}
		worst = max(worst, r.RecoveryRounds)
	}
	t.Logf("%d seeds passed; slowest recovery after heal: %d rounds", n, worst)
}

// Every Byzantine behaviour on its own, at the largest count the stake
// rule allows, under network faults.
func TestEachBehaviour(t *testing.T) {
	for b := Behaviour(0); b < numBehaviours; b++ {
		t.Run(b.String(), func(t *testing.T) {
			var cfgs []Config
			for seed := uint64(1); seed <= 40; seed++ {
				cfgs = append(cfgs, Config{Seed: seed, Validators: 7, Byzantine: 2, Behaviours: []Behaviour{b}, Faults: Mixes["all"], FaultsName: "all"})
			}
			var malformed, dropped uint64
			for _, r := range sweep(t, cfgs) {
				if r.Failed() {
					t.Fatalf("%v\nreplay: %s", r.Violations, r.Config.ReplayCommand())
				}
				malformed += r.Malformed
				dropped += r.Dropped
			}
			if b == Garbage && (malformed == 0 || dropped == 0) {
				t.Errorf("garbage senders produced %d undecodable and %d rejected messages; want both > 0", malformed, dropped)
			}
		})
	}
}

// Same seed, same trace: the simulator is a pure function of its config.
func TestDeterminism(t *testing.T) {
	for _, seed := range []uint64{3, 17, 99} {
		cfg := mixConfig(seed)
		cfg.Faults = Mixes["all"]
		a, b := Run(cfg), Run(cfg)
		if a.TraceHash != b.TraceHash || a.Steps != b.Steps || a.Height != b.Height {
			t.Fatalf("seed %d: two runs differ: %x/%d/%d vs %x/%d/%d", seed, a.TraceHash, a.Steps, a.Height, b.TraceHash, b.Steps, b.Height)
		}
		cfg.Seed++
		if c := Run(cfg); c.TraceHash == a.TraceHash {
			t.Fatalf("seeds %d and %d gave the same trace", seed, seed+1)
		}
	}
}

// The checker must catch a broken protocol: honest validators that vote
// without the lock and two-chain checks commit conflicting blocks under
// partitions and an equivocating leader within these seeds.
func TestBrokenVotingIsCaught(t *testing.T) {
	var cfgs []Config
	for seed := uint64(1); seed <= 400; seed++ {
		cfgs = append(cfgs, Config{Seed: seed, Validators: 7, Byzantine: 2, Faults: Mixes["partition"], FaultsName: "partition", BrokenVoting: true})
	}
	caught := 0
	for _, r := range sweep(t, cfgs) {
		if r.Failed() && strings.Contains(r.Violations[0], "SAFETY") {
			caught++
			if caught == 1 {
				t.Logf("first catch: %s\nreplay: %s", r.Violations[0], r.Config.ReplayCommand())
			}
		}
	}
	if caught == 0 {
		t.Fatal("400 seeds of unsafe voting produced no safety violation: the checker or the faults are too weak")
	}
	t.Logf("broken voting caught in %d of %d seeds", caught, len(cfgs))
}

// A few seeds on the real BLS12-381 path: same code, real pairings.
func TestRealBLS(t *testing.T) {
	if testing.Short() {
		t.Skip("BLS seeds take seconds")
	}
	var cfgs []Config
	for seed := uint64(1); seed <= 6; seed++ {
		cfgs = append(cfgs, Config{Seed: seed, Validators: 4, Byzantine: 1, Faults: Mixes["all"], FaultsName: "all", RealBLS: true, Rounds: 30})
	}
	for _, r := range sweep(t, cfgs) {
		if r.Failed() || r.Height == 0 {
			t.Fatalf("height %d %v\nreplay: %s", r.Height, r.Violations, r.Config.ReplayCommand())
		}
	}
}

// Large committees with unequal stakes stay safe and live.
func TestLargeCommittee(t *testing.T) {
	if testing.Short() {
		t.Skip("large committees take seconds")
	}
	var cfgs []Config
	for seed := uint64(1); seed <= 2; seed++ {
		cfgs = append(cfgs, Config{Seed: seed, Validators: 100, Byzantine: 33, Faults: Mixes["net"], FaultsName: "net", Rounds: 20})
	}
	for _, r := range sweep(t, cfgs) {
		if r.Failed() || r.Height == 0 {
			t.Fatalf("height %d %v\nreplay: %s", r.Height, r.Violations, r.Config.ReplayCommand())
		}
		t.Log(fmt.Sprintf("100 validators: height %d, %d messages", r.Height, r.Messages))
	}
}

// Every honest commit is checked against the two-chain rule, not only
// against the other nodes' commits: a core that commits on any two-chain
// (dropping the consecutive-rounds condition) passed every seed, as no
// fork formed to expose it. A commit whose certificate names no block
// ending a two-chain is a safety violation.
func TestUnjustifiedCommitIsCaught(t *testing.T) {
	s := newSimulation(Config{Seed: 7, Validators: 4, Faults: Mixes["none"], FaultsName: "none"})
	if err := s.setup(); err != nil {
		t.Fatal(err)
	}
	n := s.nodes[0]
	for steps := 0; n.height < 3; steps++ {
		e := s.sched.pop()
		if e == nil || steps > 100_000 {
			t.Fatal("no commits")
		}
		s.handle(e)
	}
	if len(s.check.violations) != 0 {
		t.Fatalf("honest run: %v", s.check.violations)
	}
	last := n.core.Committed()
	forged := &types.QC{Epoch: last.Epoch, Round: last.Round + 5, BlockID: types.HashOf([]byte("no such block"))}
	s.checkJustified(n, &consensus.Ready{Committed: []*types.Block{last}, CommitQC: forged})
	if len(s.check.violations) == 0 || !strings.Contains(s.check.violations[0], "SAFETY") {
		t.Fatalf("an unjustified commit passed: %v", s.check.violations)
	}
}

// An equivocating leader's conflicting block must be one honest
// validators would vote for, all run long: built without an execution
// result, it was refused by every honest node after the first few blocks,
// so a voting-rule bug was caught only if it showed there.
func TestEquivocatorForksDrawHonestVotes(t *testing.T) {
	var cfgs []Config
	for seed := uint64(1); seed <= 40; seed++ {
		cfgs = append(cfgs, Config{Seed: seed, Validators: 7, Byzantine: 2, Behaviours: []Behaviour{Equivocator}, Faults: Mixes["net"], FaultsName: "net"})
	}
	var votes, height uint64
	for _, r := range sweep(t, cfgs) {
		if r.Failed() {
			t.Fatalf("seed %d: %s", r.Config.Seed, r.Violations[0])
		}
		votes += r.ForkVotes
		height = max(height, r.ForkVoteHeight)
	}
	if votes == 0 || height <= 10 {
		t.Fatalf("honest votes for equivocators' forks: %d, the highest at height %d; want some above height 10", votes, height)
	}
	t.Logf("%d honest votes for forks, up to height %d", votes, height)
}
