package store

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/types"
)

const (
	envWriter      = "LAZCHAIN_STORE_CRASH_CHILD"
	envWriterDir   = "LAZCHAIN_STORE_CRASH_DIR"
	envWriterFirst = "LAZCHAIN_STORE_CRASH_FIRST" // the first round, so each run's blocks are new
)

// TestHelperStoreWriter is the child of TestKillDuringBlockWrites: it
// stores large blocks (in the block log) without end and reports each one
// once Apply has returned, that is, once it is durable.
func TestHelperStoreWriter(t *testing.T) {
	if os.Getenv(envWriter) != "1" {
		t.Skip("child process of TestKillDuringBlockWrites")
	}
	s, err := Open(os.Getenv(envWriterDir))
	if err != nil {
		fmt.Println("open failed:", err)
		os.Exit(2)
	}
	first, err := strconv.ParseUint(os.Getenv(envWriterFirst), 10, 64)
	if err != nil {
		fmt.Println("bad first round:", err)
		os.Exit(2)
	}
	parent := genesis
	for round := first; ; round++ {
		b := child(parent, round, 500)
		if err := s.Apply(&consensus.Ready{Blocks: []*types.Block{b}}); err != nil {
			fmt.Println("apply failed:", err)
			os.Exit(2)
		}
		id := b.ID()
		fmt.Printf("stored %s %d\n", hex.EncodeToString(id[:]), len(b.Txs))
		parent = b
	}
}

// A process storing large blocks is SIGKILLed mid-stream, three times:
// every block it reported stored reads back whole after each restart, and
// the torn appends it left do not disturb the blocks stored afterwards.
func TestKillDuringBlockWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	var reported []types.Hash
	for kill, after := range []int{3, 5, 8} {
		reported = append(reported, runAndKill(t, dir, after, uint64(1+1000*kill))...)
		seen := map[types.Hash]bool{}
		for _, id := range reported {
			if seen[id] {
				t.Fatalf("block %x reported twice: the runs did not write new blocks", id[:4])
			}
			seen[id] = true
		}
		s, err := Open(dir)
		if err != nil {
			t.Fatalf("open after kill %d: %v", kill, err)
		}
		for i, id := range reported {
			b, err := s.Block(id)
			if err != nil {
				s.Close()
				t.Fatalf("after kill %d, block %d of %d reported stored: %v", kill, i, len(reported), err)
			}
			if b.ID() != id || len(b.Txs) != 500 || len(b.Encode()) < logThreshold {
				s.Close()
				t.Fatalf("after kill %d, block %d of %d reads back as %s with %d txs, want %s with 500",
					kill, i, len(reported), b.ID().Short(), len(b.Txs), id.Short())
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// runAndKill starts the writer at round first, lets it report n blocks
// stored and kills it with SIGKILL while it writes the next; it returns
// the ids reported.
func runAndKill(t *testing.T, dir string, n int, first uint64) []types.Hash {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperStoreWriter$", "-test.count=1", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), envWriter+"=1", envWriterDir+"="+dir, envWriterFirst+"="+strconv.FormatUint(first, 10))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var ids []types.Hash
	deadline := time.After(60 * time.Second)
	for len(ids) < n {
		select {
		case l, ok := <-lines:
			if !ok {
				_ = cmd.Wait()
				t.Fatalf("writer ended after %d blocks: %s", len(ids), cmd.ProcessState)
			}
			f := strings.Fields(l)
			if len(f) != 3 || f[0] != "stored" {
				t.Fatalf("writer said %q", l)
			}
			raw, err := hex.DecodeString(f[1])
			if err != nil || len(raw) != 32 {
				t.Fatalf("writer said %q", l)
			}
			ids = append(ids, types.Hash(raw))
		case <-deadline:
			t.Fatalf("writer reported %d blocks in 60 s", len(ids))
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("writer ended with %s, want killed by SIGKILL", cmd.ProcessState)
	}
	// Lines printed before the kill landed are durable too.
	for l := range lines {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "stored" {
			if raw, err := hex.DecodeString(f[1]); err == nil && len(raw) == 32 {
				ids = append(ids, types.Hash(raw))
			}
		}
	}
	return ids
}
