package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/rpc"
)

// TestRunNodeSingleValidator starts a one-validator home in-process, waits
// for it to commit, and stops it through its context.
func TestRunNodeSingleValidator(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	base, err := freeBasePort(2)
	if err != nil {
		t.Skip(err)
	}
	out := t.TempDir()
	homes, err := writeTestnet(testnetFlags{validators: 1, output: out, chainID: "run-test", host: "127.0.0.1", basePort: base, timeoutMs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	home := homes[0]
	cfg, err := config.Load(home)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Log.Level = "error" // keep the test output quiet
	if err := cfg.Save(home); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- runNode(ctx, home) }()

	waitCtx, waitCancel := context.WithTimeout(ctx, 30*time.Second)
	defer waitCancel()
	if err := waitHeight(waitCtx, home, 2, 30*time.Second); err != nil {
		cancel()
		t.Fatalf("waitHeight: %v (runNode: %v)", err, <-errc)
	}
	st, err := rpc.NewClient("http://127.0.0.1:" + strconv.Itoa(base+1)).Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.ChainID != "run-test" || st.Height < 2 {
		t.Fatalf("status %+v", st)
	}
	// A signed transaction from a fresh account commits.
	keyFile := filepath.Join(t.TempDir(), "acct.json")
	if err := config.SaveNodeKey(keyFile, config.NewNodeKey()); err != nil {
		t.Fatal(err)
	}
	txCtx, txCancel := context.WithTimeout(ctx, 30*time.Second)
	defer txCancel()
	txOut, err := captureStdout(func() error {
		return sendTx(txCtx, txFlags{url: "http://127.0.0.1:" + strconv.Itoa(base+1), keyFile: keyFile, body: "hello", nonce: -1, wait: true})
	})
	if err != nil || !strings.Contains(txOut, `"status": "committed"`) {
		t.Fatalf("tx send: %v\n%s", err, txOut)
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("runNode after cancel: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("runNode did not return after its context ended")
	}
	if _, err := os.Stat(filepath.Join(home, config.DataDir)); err != nil {
		t.Fatalf("no data directory after a run: %v", err)
	}
}

// captureStdout runs f with os.Stdout redirected and returns what it wrote.
func captureStdout(f func() error) (string, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", err
	}
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		done <- b
	}()
	saved := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = saved }()
	err = f()
	os.Stdout = saved
	w.Close()
	out := <-done
	r.Close()
	return string(out), err
}

func TestRunNodeRejectsBrokenHome(t *testing.T) {
	dir := t.TempDir()
	homes, err := writeTestnet(testnetFlags{validators: 1, output: dir, chainID: "c", host: "127.0.0.1", basePort: 1, timeoutMs: 100})
	if err != nil {
		t.Fatal(err)
	}
	home := homes[0]
	ctx := context.Background()
	// Each file is loaded and checked before anything starts.
	for _, tc := range []struct{ file, body, want string }{
		{config.GenesisFile, "{", "not valid JSON"},
		{config.NodeKeyFile, `{"type":"bls12-381","secret":""}`, "not a key file of type ed25519"},
		{config.BLSKeyFile, `{"type":"bls12-381","secret":"00"}`, "got 1 bytes, want 32"},
	} {
		path := filepath.Join(home, tc.file)
		good, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := runNode(ctx, home); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("corrupt %s: err = %v, want %q", tc.file, err, tc.want)
		}
		if err := os.WriteFile(path, good, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDevnetHomesReusesExisting(t *testing.T) {
	dir := t.TempDir()
	first, err := devnetHomes(dir, 2, "")
	if err != nil {
		t.Fatal(err)
	}
	key0, _ := os.ReadFile(filepath.Join(first[0], config.NodeKeyFile))
	again, err := devnetHomes(dir, 2, "")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(again) != fmt.Sprint(first) {
		t.Fatalf("reuse returned %v, first run %v", again, first)
	}
	if key0b, _ := os.ReadFile(filepath.Join(again[0], config.NodeKeyFile)); string(key0b) != string(key0) {
		t.Fatal("reusing a devnet replaced node0's key")
	}
	// Asking for more validators than exist cannot reuse, and must not
	// overwrite the existing nodes either.
	if _, err := devnetHomes(dir, 3, ""); err == nil {
		t.Fatal("devnet with a third validator over a two-node home succeeded")
	}
}

func TestParseRates(t *testing.T) {
	got, err := parseRates("1000, 5000,20000")
	if err != nil || fmt.Sprint(got) != "[1000 5000 20000]" {
		t.Fatalf("parseRates = %v, %v", got, err)
	}
	for _, bad := range []string{"", "0", "-5", "fast", "100,", "1,,2"} {
		if _, err := parseRates(bad); err == nil {
			t.Errorf("parseRates(%q) accepted", bad)
		}
	}
}

func TestUnwrapAllAndLogger(t *testing.T) {
	base := os.ErrNotExist
	wrapped := fmt.Errorf("outer: %w", fmt.Errorf("inner: %w", base))
	if unwrapAll(wrapped) != base {
		t.Fatal("unwrapAll did not reach the innermost error")
	}
	if !errors.Is(wrapped, base) {
		t.Fatal("test wrapping broken")
	}
	for _, c := range []config.LogConfig{{Level: "debug", Format: "json"}, {Level: "error", Format: "text"}} {
		l := newLogger(c)
		want := slog.LevelDebug
		if c.Level == "error" {
			want = slog.LevelError
		}
		if !l.Enabled(context.Background(), want) || l.Enabled(context.Background(), want-1) {
			t.Errorf("logger for %+v has the wrong level", c)
		}
	}
}

// The bench's --max-block-txs reaches the genesis of the cluster it
// starts; unset, the genesis keeps the default.
func TestTestnetMaxBlockTxs(t *testing.T) {
	for _, tc := range []struct{ flag, want int }{{0, config.DefaultConsensus().MaxBlockTxs}, {1000, 1000}} {
		homes, err := writeTestnet(testnetFlags{validators: 1, output: t.TempDir(), chainID: "c", host: "127.0.0.1", basePort: 1, timeoutMs: 100, maxBlockTxs: tc.flag})
		if err != nil {
			t.Fatal(err)
		}
		g, err := config.LoadGenesis(filepath.Join(homes[0], config.GenesisFile))
		if err != nil {
			t.Fatal(err)
		}
		if g.Consensus.MaxBlockTxs != tc.want {
			t.Errorf("max-block-txs %d: genesis has %d, want %d", tc.flag, g.Consensus.MaxBlockTxs, tc.want)
		}
	}
}

// Only an address that binds this machine alone counts as loopback for
// the pprof warning.
func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:26657": true, "[::1]:26657": true, "localhost:26657": true,
		"0.0.0.0:26657": false, ":26657": false, "10.0.0.5:26657": false, "node0:26657": false, "garbage": false,
	} {
		if got := loopback(addr); got != want {
			t.Errorf("loopback(%q) = %v, want %v", addr, got, want)
		}
	}
}
