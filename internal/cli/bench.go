package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/internal/bench"
	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/rpc"
)

type benchFlags struct {
	warmup     time.Duration
	validators int
	duration   time.Duration
	rates      string
	nodes      string
	txBytes    int
	jsonOut    string
	timeoutMs  uint64
	broadcast  bool
	maxTxs     int
	epochLen   uint64
	cpuProfile string
}

func benchCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Benchmarks against a running network"}
	var f benchFlags
	cons := &cobra.Command{
		Use:   "consensus",
		Short: "Offer an open-loop load of signed transactions and measure commits",
		Long: `Starts a loopback cluster of --validators processes (or attaches to --nodes),
offers signed transactions of about --tx-bytes at each --rate for --duration,
and reports committed tx/s, submit-to-commit latency p50/p99 and the CPU the
nodes used. Every node fsyncs before it acknowledges a commit.`,
		Example: "  lazchain bench consensus --validators 4 --duration 60s --rate 1000,5000,20000",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runBench(ctx, f)
		},
	}
	fl := cons.Flags()
	fl.IntVar(&f.validators, "validators", 4, "validators to start on loopback")
	fl.DurationVar(&f.duration, "duration", 30*time.Second, "how long to offer load at each rate")
	fl.DurationVar(&f.warmup, "warmup", 0, "first offer load rising from zero to the rate over this long, unmeasured (a cold start shows in the windows of a run without it)")
	fl.StringVar(&f.rates, "rate", "1000", "offered tx/s; a comma-separated list runs each in turn")
	fl.StringVar(&f.nodes, "nodes", "", "comma-separated API URLs of a running network (default: start one)")
	fl.IntVar(&f.txBytes, "tx-bytes", 250, "approximate size of each transaction")
	fl.StringVar(&f.jsonOut, "json", "", "also write the results as JSON to this file")
	fl.Uint64Var(&f.timeoutMs, "timeout-ms", 1000, "base round timeout of a started cluster")
	fl.BoolVar(&f.broadcast, "broadcast-votes", false, "started cluster sends votes to every validator (genesis consensus.broadcast_votes)")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the load generator itself to this file (the nodes serve theirs on /debug/pprof)")
	fl.IntVar(&f.maxTxs, "max-block-txs", 0, "most transactions in a block of a started cluster (genesis consensus.max_block_txs; 0: the default)")
	fl.Uint64Var(&f.epochLen, "epoch-length", 1_000_000, "blocks per epoch of a started cluster (the default keeps a run in one epoch)")
	cmd.AddCommand(cons, benchAttestCommand())
	return cmd
}

func runBench(ctx context.Context, f benchFlags) error {
	rates, err := parseRates(f.rates)
	if err != nil {
		return err
	}
	urls, pids, cleanup, err := benchNetwork(ctx, f)
	if err != nil {
		return err
	}
	defer cleanup()
	if f.cpuProfile != "" {
		// The generator shares the machine with the nodes it measures, so
		// what it costs is CPU the nodes did not get.
		stop, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	cpu := func() float64 {
		var total float64
		for _, pid := range pids {
			s, _ := bench.ProcessCPU(pid)
			total += s
		}
		return total
	}
	if len(pids) == 0 {
		cpu = nil
	}
	var results []*bench.Result
	fmt.Printf("%-10s %-10s %-12s %-10s %-10s %-10s %-8s %-8s %-8s %-8s %-8s\n", "offered/s", "accepted", "committed/s", "p50", "p99", "max", "node-cpu", "blocks", "rounds", "sign-µs", "load-cpu")
	for _, rate := range rates {
		r, err := bench.Run(ctx, bench.Config{Nodes: urls, Rate: rate, Duration: f.duration, Warmup: f.warmup, TxBytes: f.txBytes, Drain: 30 * time.Second}, cpu)
		if err != nil {
			return err
		}
		for i, pid := range pids {
			// Figures from a cluster that lost a node are not the
			// cluster's: say so instead of printing them.
			if !bench.Running(pid) {
				return fmt.Errorf("node %d (pid %d) exited during the run at %d tx/s; its node.log says why", i, pid, rate)
			}
		}
		results = append(results, r)
		nodeCPU := "n/a" // attached to processes this command did not start
		if cpu != nil {
			nodeCPU = fmt.Sprintf("%.2f", r.NodeCPU)
		}
		fmt.Printf("%-10d %-10d %-12.0f %-10s %-10s %-10s %-8s %-8d %-8d %-8.1f %-8.2f\n", rate, r.Accepted, r.CommittedTPS,
			bench.FormatLatency(r.P50), bench.FormatLatency(r.P99), bench.FormatLatency(r.Max), nodeCPU, r.Blocks, r.Rounds,
			float64(r.SignCost)/float64(time.Microsecond), r.LoadCPU)
		if r.Lost > 0 {
			fmt.Printf("  lost %d: accepted but not seen committed within the drain; counted as unbounded latency\n", r.Lost)
		}
		if r.Warmup > 0 {
			fmt.Printf("  measured after a warm-up of %s rising to the rate (%d accepted, not measured)\n", r.Warmup, r.WarmupAccepted)
		}
		for _, w := range r.Windows {
			fmt.Printf("  sent from %-4s %8d committed, p50 %-8s p99 %s\n", w.From, w.Committed,
				w.P50.Round(time.Millisecond), w.P99.Round(time.Millisecond))
		}
		for reason, n := range r.Rejected {
			fmt.Printf("  rejected %d: %s\n", n, reason)
		}
		if r.Resent > 0 {
			fmt.Printf("  resent %d refused for want of room (their latency counts from the first offer)\n", r.Resent)
		}
	}
	out, _ := json.MarshalIndent(map[string]any{"validators": f.validators, "duration": f.duration.String(), "tx_bytes": f.txBytes, "results": results}, "", "  ")
	fmt.Println(string(out))
	if f.jsonOut != "" {
		return os.WriteFile(f.jsonOut, out, 0o644)
	}
	return nil
}

func parseRates(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		var r int
		if _, err := fmt.Sscanf(strings.TrimSpace(part), "%d", &r); err != nil || r <= 0 {
			return nil, fmt.Errorf("--rate %q: want positive integers", s)
		}
		out = append(out, r)
	}
	return out, nil
}

// benchNetwork attaches to --nodes or starts a fresh loopback cluster,
// returning API URLs, the node process ids (to measure CPU) and cleanup.
func benchNetwork(ctx context.Context, f benchFlags) ([]string, []int, func(), error) {
	if f.nodes != "" {
		return strings.Split(f.nodes, ","), nil, func() {}, nil
	}
	urls, pids, _, cleanup, err := startBenchCluster(ctx, f)
	return urls, pids, cleanup, err
}

// benchCluster starts a fresh loopback cluster and returns its API URLs
// and node homes.
func benchCluster(ctx context.Context, f benchFlags) ([]string, []string, func(), error) {
	urls, _, homes, cleanup, err := startBenchCluster(ctx, f)
	return urls, homes, cleanup, err
}

func startBenchCluster(ctx context.Context, f benchFlags) ([]string, []int, []string, func(), error) {
	dir, err := os.MkdirTemp("", "lazchain-bench-")
	if err != nil {
		return nil, nil, nil, nil, err
	}
	fail := func(err error) ([]string, []int, []string, func(), error) {
		os.RemoveAll(dir)
		return nil, nil, nil, nil, err
	}
	base, err := freeBasePort(2 * f.validators)
	if err != nil {
		return fail(err)
	}
	homes, err := writeTestnet(testnetFlags{validators: f.validators, output: dir, chainID: "lazchain-bench", host: "127.0.0.1", basePort: base, timeoutMs: f.timeoutMs, broadcastVotes: f.broadcast, epochLength: f.epochLen, maxBlockTxs: f.maxTxs, accounts: 4})
	if err != nil {
		return fail(err)
	}
	var urls []string
	for _, h := range homes {
		cfg, err := config.Load(h)
		if err != nil {
			return fail(err)
		}
		cfg.API.Pprof = true // loopback only: lets a run be profiled
		// The bench is one client standing for many: a per-client upload
		// budget would cap `bench attest` rather than measure the node.
		cfg.API.ClientUploadBytesPerHour = 0
		if err := cfg.Save(h); err != nil {
			return fail(err)
		}
		urls = append(urls, "http://"+cfg.API.Listen)
	}
	procs, err := launchNodes(homes)
	if err != nil {
		return fail(err)
	}
	var pids []int
	for _, p := range procs {
		pids = append(pids, p.Process.Pid)
	}
	cleanup := func() {
		stopAll(procs)
		os.RemoveAll(dir)
	}
	if err := waitHeight(ctx, homes[0], 2, 30*time.Second); err != nil {
		cleanup()
		return nil, nil, nil, nil, err
	}
	// Measure a settled network: every node connected to every other, not
	// one still backing off from a dial made before its peer listened.
	if err := waitMesh(ctx, urls, 30*time.Second); err != nil {
		cleanup()
		return nil, nil, nil, nil, err
	}
	return urls, pids, homes, cleanup, nil
}

// freeBasePort finds n consecutive free loopback ports, so a benchmark
// never talks to some other network already listening.
func freeBasePort(n int) (int, error) {
	for try := 0; try < 50; try++ {
		// Below the kernel's ephemeral range (32768 and up), where outgoing
		// connections could take a port before a node binds it.
		base := 20000 + rand.IntN(12000-n)
		ok := true
		for p := base; p < base+n && ok; p++ {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				ok = false
				continue
			}
			ln.Close()
		}
		if ok {
			return base, nil
		}
	}
	return 0, fmt.Errorf("no %d free consecutive ports found on loopback", n)
}

// waitMesh waits until each node reports all the others as peers.
func waitMesh(ctx context.Context, urls []string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for _, u := range urls {
		c := rpc.NewClient(u)
		for {
			st, err := c.Status(ctx)
			if err == nil && st.Peers >= len(urls)-1 {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("node %s did not connect to all %d peers within %s", u, len(urls)-1, limit)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

// startCPUProfile profiles this process into path until the returned stop.
func startCPUProfile(path string) (func(), error) {
	out, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		out.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := out.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "cpu profile %s: %v\n", path, err)
		}
	}, nil
}
