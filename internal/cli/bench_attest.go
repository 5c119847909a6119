package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/internal/bench"
	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/rpc"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/verify"
)

type attestFlags struct {
	benchFlags
	idaos     string
	artifacts int
	size      string
	chunk     int
	committee uint32
	timeout   time.Duration
	keep      time.Duration
}

func benchAttestCommand() *cobra.Command {
	var f attestFlags
	cmd := &cobra.Command{
		Use:   "attest",
		Short: "Measure iDAO attestations: anchored per second, latency and verifier throughput",
		Long: `Starts a loopback cluster of --validators processes, and for each count in
--idaos creates that many dataset iDAOs (every validator a member), uploads
--artifacts CSV datasets of --size bytes spread over the nodes, submits
them all at once round-robin over the iDAOs and waits until each has its
certificate on-chain. Reports attestations anchored per second,
submit-to-anchored latency p50/p99 and MB/s through the verifiers.`,
		Example: "  lazchain bench attest --idaos 1,2,4 --artifacts 1000 --size 4KiB\n  lazchain bench attest --idaos 1 --artifacts 1 --size 1GiB",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchAttest(cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.validators, "validators", 4, "validators to start on loopback")
	fl.StringVar(&f.idaos, "idaos", "1,2,4", "numbers of iDAOs to run in turn")
	fl.IntVar(&f.artifacts, "artifacts", 500, "artifacts per run")
	fl.StringVar(&f.size, "size", "4KiB", "bytes per artifact (KiB, MiB, GiB suffixes)")
	fl.IntVar(&f.chunk, "chunk-size", merkle.DefaultChunk, "chunk size")
	fl.Uint32Var(&f.committee, "committee-size", 4, "committee size of each iDAO")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Minute, "how long to wait for every certificate")
	fl.DurationVar(&f.keep, "keep", 0, "keep the cluster running this long after the runs, to inspect it")
	fl.StringVar(&f.jsonOut, "json", "", "also write the results as JSON to this file")
	fl.Uint64Var(&f.timeoutMs, "timeout-ms", 1000, "base round timeout of the cluster")
	f.epochLen = 1_000_000
	return cmd
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for suf, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if strings.HasSuffix(s, suf) {
			s, mult = strings.TrimSuffix(s, suf), m
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("size %q: want a positive number with an optional KiB, MiB or GiB suffix", s)
	}
	return n * mult, nil
}

func runBenchAttest(cmd *cobra.Command, f attestFlags) error {
	// Ctrl-C ends the run through the deferred cleanup, which stops the
	// nodes and removes the cluster's directory; the default action left
	// both behind.
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	size, err := parseSize(f.size)
	if err != nil {
		return err
	}
	counts, err := parseRates(f.idaos)
	if err != nil {
		return fmt.Errorf("--idaos: %w", err)
	}
	urls, homes, cleanup, err := benchCluster(ctx, f.benchFlags)
	if err != nil {
		return err
	}
	defer cleanup()
	var keys []ed25519.PrivateKey
	for i := 0; i < 4; i++ {
		k, err := config.LoadNodeKey(AccountFile(filepath.Join(filepath.Dir(homes[0]), "accounts"), i))
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}
	founder, err := config.LoadNodeKey(filepath.Join(homes[0], config.NodeKeyFile))
	if err != nil {
		return err
	}
	c := rpc.NewClient(urls[0])
	members, err := memberList(ctx, c, "all")
	if err != nil {
		return err
	}
	fmt.Printf("%-6s %-10s %-10s %-12s %-10s %-10s %-10s %-10s %-10s\n", "idaos", "artifacts", "size", "attested/s", "p50", "p99", "MB/s", "upload", "total")
	var results []*bench.AttestResult
	for run, k := range counts {
		names, err := benchIDAOs(ctx, c, founder, members, run, k, f.committee)
		if err != nil {
			return err
		}
		r, err := bench.RunAttest(ctx, bench.AttestConfig{Nodes: urls, ChainID: "lazchain-bench", Keys: keys, IDAOs: names,
			Artifacts: f.artifacts, Size: size, ChunkSize: f.chunk, Timeout: f.timeout, TempDir: os.TempDir(), Seed: run * 1_000_000})
		if err != nil {
			return err
		}
		results = append(results, r)
		fmt.Printf("%-6d %-10d %-10s %-12.1f %-10s %-10s %-10.1f %-10s %-10s\n", k, r.Attested, f.size, r.PerSecond,
			r.P50.Round(time.Millisecond), r.P99.Round(time.Millisecond), r.VerifyMBps, r.Upload.Round(time.Millisecond), r.Total.Round(time.Millisecond))
	}
	if f.keep > 0 {
		fmt.Printf("keeping the cluster for %s: %s\n", f.keep, strings.Join(urls, " "))
		time.Sleep(f.keep)
	}
	out, _ := json.MarshalIndent(map[string]any{"validators": f.validators, "size": f.size, "results": results}, "", "  ")
	fmt.Println(string(out))
	if f.jsonOut != "" {
		return os.WriteFile(f.jsonOut, out, 0o644)
	}
	return nil
}

// benchIDAOs creates k dataset iDAOs for one run.
func benchIDAOs(ctx context.Context, c *rpc.Client, key ed25519.PrivateKey, members []staking.Address, run, k int, committee uint32) ([]string, error) {
	var names []string
	for j := 0; j < k; j++ {
		p := idao.DefaultPolicy()
		p.Kinds, p.CommitteeSize = []verify.Kind{verify.KindDataset}, committee
		cr := idao.Create{Name: fmt.Sprintf("bench-%d-%d", run, j), Policy: p, Members: members}
		tctx, cancel := context.WithTimeout(ctx, 45*time.Second)
		_, err := c.SendTx(tctx, key, idao.KindCreate, cr.Encode())
		cancel()
		if err != nil {
			return nil, fmt.Errorf("create %s: %w", cr.Name, err)
		}
		names = append(names, cr.Name)
	}
	return names, nil
}
