package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/node"
	"github.com/lazchain/lazchain/internal/rpc"
)

func startCommand() *cobra.Command {
	var home string
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Run a validator or full node from its home directory",
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			go func() {
				// After the first signal the default comes back: a second
				// one ends the process at once if the clean stop hangs.
				<-ctx.Done()
				stop()
			}()
			tuneGC()
			return runNode(ctx, home)
		},
	}
	cmd.Flags().StringVar(&home, "home", "", "node home directory (required)")
	cmd.MarkFlagRequired("home")
	return cmd
}

// runNode loads a home, starts the node and its API, and blocks until ctx
// ends.
func runNode(ctx context.Context, home string) error {
	cfg, err := config.Load(home)
	if err != nil {
		return err
	}
	log := newLogger(cfg.Log).With("node", cfg.Moniker)
	g, err := config.LoadGenesis(filepath.Join(home, config.GenesisFile))
	if err != nil {
		return err
	}
	nodeKey, err := config.LoadNodeKey(filepath.Join(home, config.NodeKeyFile))
	if err != nil {
		return err
	}
	blsKey, err := config.LoadBLSKey(filepath.Join(home, config.BLSKeyFile))
	if err != nil && !os.IsNotExist(unwrapAll(err)) {
		return err
	}
	bls.CheckOnOneThread()
	n, err := node.New(node.Options{Home: home, Config: cfg, Genesis: g, NodeKey: nodeKey, BLSKey: blsKey, Logger: log})
	if err != nil {
		return err
	}
	if cfg.API.Pprof && !loopback(cfg.API.Listen) {
		log.Warn("api.pprof is on and the API listens beyond this machine: anyone who reaches it can profile the node and burn its CPU", "listen", cfg.API.Listen)
	}
	if cfg.API.Pprof {
		// Where goroutines wait matters as much as where they compute:
		// sample blocking and lock contention too (1 in 100 events).
		runtime.SetBlockProfileRate(int(100 * time.Microsecond))
		runtime.SetMutexProfileFraction(100)
	}
	api := rpc.NewServer(n, rpc.Options{Pprof: cfg.API.Pprof, Limits: rpc.Limits{
		Connections: cfg.API.MaxConnections, Waiting: cfg.API.MaxWaiting, Uploads: cfg.API.MaxUploads,
		ClientUploadPerHour: cfg.API.ClientUploadBytesPerHour}})
	if err := api.Listen(cfg.API.Listen); err != nil {
		n.Close()
		return err
	}
	log.Info("api listening", "url", "http://"+api.Addr().String())
	// The API stops first: its handlers read the store, which the node
	// closes when Run returns.
	apiCtx, stopAPI := context.WithCancel(context.Background())
	nodeCtx, stopNode := context.WithCancel(context.Background())
	defer stopAPI()
	defer stopNode()
	apiErr, nodeErr := make(chan error, 1), make(chan error, 1)
	go func() { apiErr <- api.Serve(apiCtx) }()
	go func() { nodeErr <- n.Run(nodeCtx) }()
	nodeDone := false
	select {
	case <-ctx.Done():
		log.Info("shutting down (a second signal stops at once)")
	case err = <-apiErr:
		apiErr = nil
	case err = <-nodeErr:
		nodeDone = true
	}
	stopAPI()
	if apiErr != nil {
		if err2 := <-apiErr; err == nil {
			err = err2
		}
	}
	stopNode()
	if !nodeDone {
		if err2 := <-nodeErr; err == nil {
			err = err2
		}
	}
	if err != nil {
		return fmt.Errorf("node stopped: %w", err)
	}
	log.Info("node stopped")
	return nil
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

func newLogger(c config.LogConfig) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// tuneGC trades memory for CPU unless GOGC or GOMEMLIMIT say otherwise: a
// node's heap is mostly short-lived messages, and on a busy 2-core machine
// the default collector pace cost ~15% of throughput and a fatter latency
// tail (BENCHMARKS.md). The memory limit makes the collector work harder
// as the heap nears it, rather than let the process grow unbounded.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(4 << 30)
	}
}

// loopback reports whether a listen address binds only this machine.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
