package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/rpc"
)

// defaultNode is node0's API in a default devnet; client commands use it
// when --node is not given.
const defaultNode = "http://127.0.0.1:26657"

func devnetCommand() *cobra.Command {
	var home string
	var validators int
	var noSample bool
	cmd := &cobra.Command{
		Use:   "devnet",
		Short: "Start a complete local network: N validators as real processes on loopback",
		Long: `Creates (or reuses) a testnet under --home, or a fresh temporary directory,
starts one lazchain process per validator, prints their API URLs and waits.
Ctrl-C stops every process cleanly. Reusing a --home keeps the chain's data.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			cmd.SetContext(ctx)
			return runDevnet(cmd, home, validators, !noSample)
		},
	}
	cmd.Flags().StringVar(&home, "home", "", "directory for the network (default: a new temporary directory)")
	cmd.Flags().IntVar(&validators, "validators", 4, "number of validators")
	cmd.Flags().BoolVar(&noSample, "no-sample", false, "do not create the sample iDAOs and anchor the sample dataset")
	return cmd
}

func runDevnet(cmd *cobra.Command, home string, validators int, sample bool) error {
	ctx := cmd.Context()
	if home == "" {
		dir, err := os.MkdirTemp("", "lazchain-devnet-")
		if err != nil {
			return err
		}
		home = dir
	}
	homes, err := devnetHomes(home, validators)
	if err != nil {
		return err
	}
	procs, err := launchNodes(homes)
	if err != nil {
		return err
	}
	defer stopAll(procs)
	fmt.Printf("lazchain devnet: %d validators, data in %s\n", len(homes), home)
	for i, h := range homes {
		cfg, _ := config.Load(h)
		fmt.Printf("  node%d  api http://%s  log %s\n", i, cfg.API.Listen, filepath.Join(h, "node.log"))
	}
	if err := waitHeight(ctx, homes[0], 1, 30*time.Second); err != nil {
		return err
	}
	if sample {
		cfg, _ := config.Load(homes[0])
		if err := devnetSample(cmd, home, homes[0], "http://"+cfg.API.Listen); err != nil {
			return fmt.Errorf("sample dataset: %w", err)
		}
	}
	fmt.Printf("committing blocks; try: lazchain status, lazchain idao list,\n  lazchain artifact submit FILE --idao datasets --key %s --wait   (Ctrl-C to stop)\n",
		AccountFile(filepath.Join(home, "accounts"), 0))
	exited := make(chan error, len(procs))
	for _, p := range procs {
		go func() { exited <- p.Wait() }()
	}
	select {
	case <-ctx.Done():
		fmt.Println("\nstopping devnet ...")
	case err := <-exited:
		return fmt.Errorf("a node exited: %v (see its node.log)", err)
	}
	return nil
}

// devnetHomes reuses homes under dir if a previous devnet left them,
// otherwise writes a new loopback testnet.
func devnetHomes(dir string, validators int) ([]string, error) {
	var homes []string
	for i := 0; i < validators; i++ {
		h := filepath.Join(dir, fmt.Sprintf("node%d", i))
		if _, err := os.Stat(filepath.Join(h, config.ConfigFile)); err != nil {
			homes = nil
			break
		}
		homes = append(homes, h)
	}
	if homes != nil {
		return homes, nil
	}
	return writeTestnet(testnetFlags{validators: validators, output: dir, chainID: "lazchain-devnet", host: "127.0.0.1", basePort: 26656, timeoutMs: 1000, accounts: 1})
}

// waitHeight polls a node's API until it reports height >= h.
func waitHeight(ctx context.Context, home string, h uint64, limit time.Duration) error {
	cfg, err := config.Load(home)
	if err != nil {
		return err
	}
	c := rpc.NewClient("http://" + cfg.API.Listen)
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if st, err := c.Status(ctx); err == nil && st.Height >= h {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("no block committed within %s; see %s", limit, filepath.Join(home, "node.log"))
}
