package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
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
	var home, stakes, byzantine string
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
			return runDevnet(cmd, devnetOptions{home: home, validators: validators, sample: !noSample, stakes: stakes, byzantine: byzantine})
		},
	}
	cmd.Flags().StringVar(&home, "home", "", "directory for the network (default: a new temporary directory)")
	cmd.Flags().IntVar(&validators, "validators", 4, "number of validators")
	cmd.Flags().BoolVar(&noSample, "no-sample", false, "do not create the sample iDAOs and anchor the sample dataset")
	cmd.Flags().StringVar(&stakes, "stakes", "", "comma-separated genesis stakes, one per validator (new networks only)")
	cmd.Flags().StringVar(&byzantine, "byzantine", "", "comma-separated node indexes that run a Byzantine verifier ([idao] fault = approve-all), for trying disputes")
	return cmd
}

// devnetOptions are the devnet command's flags.
type devnetOptions struct {
	home              string
	validators        int
	sample            bool
	stakes, byzantine string
}

func runDevnet(cmd *cobra.Command, o devnetOptions) error {
	ctx := cmd.Context()
	home, validators, sample := o.home, o.validators, o.sample
	if home == "" {
		dir, err := os.MkdirTemp("", "lazchain-devnet-")
		if err != nil {
			return err
		}
		home = dir
	}
	homes, err := devnetHomes(home, validators, o.stakes)
	if err == nil {
		err = setFaults(homes, o.byzantine)
	}
	if err == nil {
		err = portsFree(homes)
	}
	if err != nil {
		if o.home == "" {
			// A network that never started leaves no directory behind.
			os.RemoveAll(home)
		}
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
		fmt.Printf("  node%d  api http://%s  operator %s%s  log %s\n", i, cfg.API.Listen, operatorOf(h), faultNote(cfg), filepath.Join(h, "node.log"))
	}
	fmt.Printf("  genesis %s\n", filepath.Join(homes[0], config.GenesisFile))
	if err := waitHeight(ctx, homes[0], 1, 30*time.Second); err != nil {
		return err
	}
	if sample {
		cfg, _ := config.Load(homes[0])
		if err := devnetSample(cmd, home, homes[0], "http://"+cfg.API.Listen); err != nil {
			return fmt.Errorf("sample dataset: %w", err)
		}
	}
	schema := "SCHEMA.json"
	if sample {
		schema = filepath.Join(home, "sample", "schema.json")
	}
	fmt.Printf("committing blocks; try: lazchain status, lazchain idao list,\n  lazchain artifact submit FILE.csv --schema %s --idao datasets --key %s --wait   (Ctrl-C to stop)\n",
		schema, AccountFile(filepath.Join(home, "accounts"), 0))
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
func devnetHomes(dir string, validators int, stakes string) ([]string, error) {
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
	return writeTestnet(testnetFlags{validators: validators, output: dir, chainID: "lazchain-devnet", host: "127.0.0.1", basePort: 26656, timeoutMs: 1000, accounts: 2, stakes: stakes})
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

// setFaults makes the listed nodes Byzantine verifiers (and the others
// honest), so a devnet can show a dispute overturning a wrong verdict.
func setFaults(homes []string, list string) error {
	bad := map[int]bool{}
	if list != "" {
		for _, p := range strings.Split(list, ",") {
			i, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil || i < 0 || i >= len(homes) {
				return fmt.Errorf("--byzantine %q: want node indexes 0..%d", p, len(homes)-1)
			}
			bad[i] = true
		}
	}
	for i, h := range homes {
		cfg, err := config.Load(h)
		if err != nil {
			return err
		}
		cfg.IDAO.Fault = ""
		if bad[i] {
			cfg.IDAO.Fault = config.FaultApproveAll
		}
		if err := cfg.Save(h); err != nil {
			return err
		}
	}
	return nil
}

func faultNote(cfg config.Config) string {
	if cfg.IDAO.Fault != "" {
		return " (BYZANTINE verifier: " + cfg.IDAO.Fault + ")"
	}
	return ""
}

// operatorOf is a node's operator address: its node key's public key.
func operatorOf(home string) string {
	k, err := config.LoadNodeKey(filepath.Join(home, config.NodeKeyFile))
	if err != nil {
		return "?"
	}
	return hex.EncodeToString(k.Public().(ed25519.PublicKey))
}

// portsFree checks that the nodes' listen addresses are free. The devnet
// uses fixed ports: with another devnet (or node) on them, its own nodes
// failed to bind while it read the other network's height, printed its
// own URLs, and would have sent the sample to the other network.
func portsFree(homes []string) error {
	for _, h := range homes {
		cfg, err := config.Load(h)
		if err != nil {
			return err
		}
		for _, addr := range []string{cfg.P2P.Listen, cfg.API.Listen} {
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("%s is in use (another devnet or node?): stop it first: %w", addr, err)
			}
			ln.Close()
		}
	}
	return nil
}
