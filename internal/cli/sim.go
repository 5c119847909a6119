package cli

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/internal/sim"
)

// errFailed makes the process exit non-zero after the summary is printed.
var errFailed = errors.New("simulation found failures (replay commands above)")

type simFlags struct {
	validators, byzantine, seeds, workers int
	seed, rounds, livenessRounds, far     uint64
	faults, behaviours                    string
	bls, broken                           bool
}

func simCommand() *cobra.Command {
	var f simFlags
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run the deterministic consensus simulator over many seeds",
		Long: `Runs validators of the real consensus core in one process on a seeded PRNG and
a virtual clock, with network faults, partitions, crashes and Byzantine
validators, and checks safety after every step and liveness after the heal.
Prints a summary and, for every failing seed, the command that replays it.

Fault mixes: none, net, partition, crash, all, or "mixed" to rotate them.
Behaviours: equivocator, double-voter, silent, garbage, twins (or all).`,
		Example: "  lazchain sim --validators 7 --byzantine 2 --seeds 500\n  lazchain sim --seed 42 --seeds 1 --faults partition --bls",
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfgs, err := f.configs()
			if err != nil {
				return err
			}
			start := time.Now()
			results := sim.Sweep(cfgs, f.workers)
			summary := sim.Summarize(results, time.Since(start))
			summary.Print(os.Stdout)
			if summary.Failed > 0 {
				return errFailed
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.validators, "validators", 7, "validators per run (stakes are unequal)")
	fl.IntVar(&f.byzantine, "byzantine", 2, "Byzantine validators per run; their stake is kept below one third")
	fl.IntVar(&f.seeds, "seeds", 100, "number of seeds to run")
	fl.Uint64Var(&f.seed, "seed", 1, "first seed")
	fl.StringVar(&f.faults, "faults", "mixed", "fault mix: none, net, partition, crash, all, mixed")
	fl.StringVar(&f.behaviours, "behaviours", "all", "comma-separated Byzantine behaviours")
	fl.Uint64Var(&f.rounds, "rounds", 60, "the fault phase lasts until an honest validator reaches this round")
	fl.Uint64Var(&f.livenessRounds, "liveness-rounds", 40, "rounds allowed after the heal for every honest validator to commit again")
	fl.BoolVar(&f.bls, "bls", false, "use real BLS12-381 signatures instead of the fast stand-in")
	fl.BoolVar(&f.broken, "broken-voting", false, "deliberately unsafe voting rule, to show the checker catches it")
	fl.IntVar(&f.workers, "workers", 0, "parallel runs (0 = one per CPU)")
	fl.Uint64Var(&f.far, "far-delay", 0, "virtual ms added to every message to or from node 0: one validator far from the others (a WAN link)")
	cmd.AddCommand(simEpochsCommand())
	return cmd
}

func (f *simFlags) configs() ([]sim.Config, error) {
	if f.seeds < 1 {
		return nil, fmt.Errorf("--seeds must be at least 1, got %d", f.seeds)
	}
	if f.validators < 1 || f.byzantine < 0 || f.byzantine >= f.validators {
		return nil, fmt.Errorf("--byzantine %d with --validators %d: need 0 <= byzantine < validators", f.byzantine, f.validators)
	}
	behaviours, err := sim.ParseBehaviours(f.behaviours)
	if err != nil {
		return nil, err
	}
	mixes := []string{f.faults}
	if f.faults == "mixed" {
		mixes = []string{"none", "net", "partition", "crash", "all"}
	}
	cfgs := make([]sim.Config, f.seeds)
	for i := range cfgs {
		seed := f.seed + uint64(i)
		mix := mixes[seed%uint64(len(mixes))]
		faults, err := sim.ParseFaults(mix)
		if err != nil {
			return nil, err
		}
		cfgs[i] = sim.Config{
			Seed: seed, Validators: f.validators, Byzantine: f.byzantine, Behaviours: behaviours,
			Faults: faults, FaultsName: mix, Rounds: f.rounds, LivenessRounds: f.livenessRounds,
			RealBLS: f.bls, BrokenVoting: f.broken, FarDelay: f.far,
		}
	}
	return cfgs, nil
}
