package sim

import (
	"testing"
)

// Across many epochs with validators joining and unbonding, on a lossy,
// reordering network with a node cut off or crashed (and restarted from its
// disk, replaying what it committed) now and then, every honest node
// commits the same blocks, reaches the same staking state after each, and
// keeps moving from epoch to epoch.
func TestEpochsSafeAndLive(t *testing.T) {
	seeds := 8
	if testing.Short() {
		seeds = 3
	}
	var joined, left, changes int
	for i := 0; i < seeds; i++ {
		seed := uint64(100 + i)
		cfg := EpochConfig{Seed: seed, Validators: 4 + i%3, Candidates: 3, Epochs: 10,
			Twins: i%2 == 1, Network: true, Partitions: i%3 == 2, Crashes: i%3 != 2}
		r := RunEpochs(cfg)
		if r.Failed() {
			t.Fatalf("%v\nreplay: %s", r.Violations, r.Config.ReplayCommand())
		}
		if r.Epoch < cfg.Epochs {
			t.Fatalf("seed %d reached epoch %d, want %d", seed, r.Epoch, cfg.Epochs)
		}
		joined += r.Joined
		left += r.Left
		changes += r.SetChanges
	}
	// Otherwise the runs above would prove little about set changes.
	if joined == 0 || left == 0 || changes < seeds {
		t.Fatalf("over %d runs: %d joins, %d leaves, %d set changes", seeds, joined, left, changes)
	}
}

// A validator whose key runs on two nodes double votes when it leads: a
// leader sees both votes, the evidence is committed, the validator is
// slashed and jailed, and it is in no set after the next boundary.
func TestTwinsAreCaughtAndVotedOut(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		cfg := EpochConfig{Seed: seed, Validators: 4, Candidates: 2, Epochs: 8, Twins: true, Network: seed == 3}
		r := RunEpochs(cfg)
		if r.Failed() {
			t.Fatalf("%v\nreplay: %s", r.Violations, r.Config.ReplayCommand())
		}
		if r.Evidence == 0 || !r.TwinOut {
			t.Fatalf("seed %d: %d evidence executed, twins out: %v\nreplay: %s", seed, r.Evidence, r.TwinOut, r.Config.ReplayCommand())
		}
	}
}

func TestEpochRunIsDeterministic(t *testing.T) {
	cfg := EpochConfig{Seed: 7, Validators: 4, Candidates: 2, Epochs: 5, Twins: true, Network: true}
	a, b := RunEpochs(cfg), RunEpochs(cfg)
	if a.TraceHash != b.TraceHash || a.Height != b.Height {
		t.Fatalf("same seed, different runs: %x/%d vs %x/%d", a.TraceHash[:4], a.Height, b.TraceHash[:4], b.Height)
	}
	cfg.Seed++
	if c := RunEpochs(cfg); c.TraceHash == a.TraceHash {
		t.Fatalf("another seed gave the same trace")
	}
}
