package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/internal/sim"
)

// simEpochsCommand runs the multi-epoch simulator: real staking, real BLS,
// validators joining and leaving, optionally a double-signing twin.
func simEpochsCommand() *cobra.Command {
	var cfg sim.EpochConfig
	var seeds int
	cmd := &cobra.Command{
		Use:   "epochs",
		Short: "Simulate many epochs: joins, unbonds, set changes, and a double signer caught and voted out",
		Example: "  lazchain sim epochs --seeds 20 --twins --network\n" +
			"  lazchain sim epochs --seed 42 --seeds 1 --validators 5 --candidates 3 --partitions",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if seeds < 1 {
				return fmt.Errorf("--seeds must be at least 1, got %d", seeds)
			}
			start, failed := time.Now(), 0
			first := cfg.Seed
			for i := 0; i < seeds; i++ {
				cfg.Seed = first + uint64(i)
				r := sim.RunEpochs(cfg)
				status := "ok"
				if r.Failed() || (cfg.Twins && !r.TwinOut) {
					status, failed = "FAIL", failed+1
				}
				fmt.Printf("seed %d: %s epoch %d height %d, %d joined, %d left, %d set changes, %d evidence, twins out %v, %d crashes\n",
					cfg.Seed, status, r.Epoch, r.Height, r.Joined, r.Left, r.SetChanges, r.Evidence, r.TwinOut, r.Crashes)
				for _, v := range r.Violations {
					fmt.Println("   ", v)
				}
				if status != "ok" {
					fmt.Println("    replay:", r.Config.ReplayCommand())
				}
			}
			fmt.Printf("%d runs, %d failed, %.1fs\n", seeds, failed, time.Since(start).Seconds())
			if failed > 0 {
				return errFailed
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.Uint64Var(&cfg.Seed, "seed", 1, "first seed")
	fl.IntVar(&seeds, "seeds", 10, "number of seeds")
	fl.IntVar(&cfg.Validators, "validators", 4, "genesis validators (at least 4)")
	fl.IntVar(&cfg.Candidates, "candidates", 3, "nodes that may join by create-validator")
	fl.Uint64Var(&cfg.Epochs, "epochs", 10, "epochs every honest node must reach")
	fl.Uint64Var(&cfg.EpochLength, "epoch-length", 8, "blocks per epoch")
	fl.BoolVar(&cfg.Twins, "twins", false, "run genesis validator 0 on two nodes (a double signer)")
	fl.BoolVar(&cfg.Network, "network", false, "loss, duplication and wide delays")
	fl.BoolVar(&cfg.Partitions, "partitions", false, "cut one node off for a while each epoch")
	fl.BoolVar(&cfg.Crashes, "crashes", false, "crash a node each epoch and restart it from its disk")
	return cmd
}
