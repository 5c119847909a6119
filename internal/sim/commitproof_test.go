package sim

import "testing"

// Seed 980 (7 validators, 2 Byzantine, crashes): a QC proving a commit on
// a branch the chain then left reached only some honest nodes. Their
// committed heights, and so their leader draws, parted; each dropped the
// others' leaders' proposals, and after the heal the chain needed 21
// rounds to commit again. A node that times out now sends the QC of its
// latest commit along, and the honest nodes agree again within a few
// rounds.
func TestCommitProofReachesEveryone(t *testing.T) {
	faults, err := ParseFaults("crash")
	if err != nil {
		t.Fatal(err)
	}
	behaviours, err := ParseBehaviours("all")
	if err != nil {
		t.Fatal(err)
	}
	r := newSimulation(Config{Seed: 980, Validators: 7, Byzantine: 2, Behaviours: behaviours, Faults: faults, FaultsName: "crash",
		Rounds: 60, LivenessRounds: 12}).run()
	if r.Failed() || !r.Live {
		t.Fatalf("live %v, violations %v\nreplay: %s", r.Live, r.Violations, r.Config.ReplayCommand())
	}
}
