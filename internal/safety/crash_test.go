//go:build unix

package safety_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/crypto"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/safety"
	"github.com/lazchain/lazchain/internal/types"
)

// Environment of the child signer process.
const (
	envChild  = "LAZCHAIN_SAFETY_CHILD"
	envDir    = "LAZCHAIN_SAFETY_DIR"
	envKind   = "LAZCHAIN_SAFETY_KIND"
	envRound  = "LAZCHAIN_SAFETY_ROUND"
	envScheme = "LAZCHAIN_SAFETY_SCHEME"
)

// crashKey derives the same key in parent and child. A simsig registry is
// per process, so each side registers the key from the seed in its own.
func crashKey(scheme string) (crypto.Scheme, crypto.Signer, error) {
	if scheme == "bls" {
		k, err := bls.GenerateKey(bytes.Repeat([]byte{0x33}, bls.MinSeedSize))
		return bls.Scheme{}, k, err
	}
	s, k := simKey("crash-test-key")
	return s, k, nil
}

// crashBlock is the block the child signs for in round r: block A. Variant
// 1 of it is the conflicting block B.
func crashBlock(kind string, r uint64, variant uint32) *types.Block {
	if kind == "vote-after-tc" {
		return blk(r, r-2, variant)
	}
	return blk(r, r-1, variant)
}

// signed by the child, each nil or empty when the kind has none.
type childResult struct {
	data, vote, timeout, proposal []byte
}

// runChildSteps signs what kind says in round r. The steps before the last
// build a realistic history; the last one is what the kill interrupts.
func runChildSteps(r *safety.Rules, kind string, round uint64) (res childResult, err error) {
	a := crashBlock(kind, round, 0)
	var v *types.Vote
	var t *types.Timeout
	switch kind {
	case "vote":
		v, err = r.Vote(a, round-2, nil)
	case "vote-after-tc":
		v, err = r.Vote(a, round-3, tc(round-1, round-2, round-3))
	case "timeout":
		if _, err = r.Vote(blk(round-1, round-2, 0), round-3, nil); err == nil {
			t, err = r.Timeout(e, round, qc(round-1), nil)
		}
	case "vote-then-timeout":
		if v, err = r.Vote(a, round-2, nil); err == nil {
			t, err = r.Timeout(e, round, qc(round-1), nil)
		}
	case "proposal":
		if _, err = r.Vote(blk(round-1, round-2, 0), round-3, nil); err == nil {
			res.proposal, err = r.SignProposal(a)
		}
	default:
		err = fmt.Errorf("unknown kind %q", kind)
	}
	if v != nil {
		res.vote = types.EncodeMessage(v)
	}
	if t != nil {
		res.timeout = types.EncodeMessage(t)
	}
	d := r.Data()
	res.data = d.Encode()
	return res, err
}

// TestHelperSigner is the child process of TestCrashRestart; run directly
// it does nothing. It signs, reports what it signed, and then hangs where a
// real signer would send, until the parent kills it.
func TestHelperSigner(t *testing.T) {
	if os.Getenv(envChild) != "1" {
		t.Skip("child process of TestCrashRestart")
	}
	round, err := strconv.ParseUint(os.Getenv(envRound), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := crashKey(os.Getenv(envScheme))
	if err != nil {
		t.Fatal(err)
	}
	r, err := safety.New(chainID, key, safety.NewFileStorage(filepath.Join(os.Getenv(envDir), "safety.dat")))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.StartEpoch(e, testIndex); err != nil {
		t.Fatal(err)
	}
	res, err := runChildSteps(r, os.Getenv(envKind), round)
	if err != nil {
		t.Fatal(err)
	}
	hx := func(b []byte) string {
		if len(b) == 0 {
			return "-"
		}
		return hex.EncodeToString(b)
	}
	fmt.Printf("persisted %s %s %s %s\n", hx(res.data), hx(res.vote), hx(res.timeout), hx(res.proposal))
	time.Sleep(time.Hour) // never "send"; -test.timeout ends an orphan
}

func parseChildLine(t *testing.T, line string) childResult {
	t.Helper()
	f := strings.Fields(line)
	if len(f) != 5 {
		t.Fatalf("child line %q", line)
	}
	var out [4][]byte
	for i, s := range f[1:] {
		if s == "-" {
			continue
		}
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatalf("child line %q: %v", line, err)
		}
		out[i] = b
	}
	return childResult{data: out[0], vote: out[1], timeout: out[2], proposal: out[3]}
}

// startAndKill runs the child, waits until it reports its signatures as
// persisted, and SIGKILLs it: no deferred code, no flush, no clean close.
func startAndKill(t *testing.T, dir, kind, scheme string, round uint64) childResult {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSigner$", "-test.count=1", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), envChild+"=1", envDir+"="+dir, envKind+"="+kind,
		envScheme+"="+scheme, envRound+"="+strconv.FormatUint(round, 10))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }() // if a Fatal below fires first; a no-op after Wait

	lines := make(chan string, 1) // buffered: the reader never blocks if we gave up
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<16), 1<<20)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "persisted ") {
				lines <- sc.Text()
				return
			}
		}
	}()
	var line string
	select {
	case l, ok := <-lines:
		if !ok {
			_ = cmd.Wait()
			t.Fatalf("child exited without persisting: %s\nstderr: %s", cmd.ProcessState, stderr.String())
		}
		line = l
	case <-time.After(60 * time.Second):
		t.Fatalf("child did not persist within 60s\nstderr: %s", stderr.String())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %s, want killed by SIGKILL", cmd.ProcessState)
	}
	return parseChildLine(t, line)
}

// TestCrashRestart kills a real signer process right after it signed and
// checks that a signer restarted from its file cannot contradict it.
func TestCrashRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	cases := []struct {
		kind   string
		scheme string
		round  uint64
	}{
		{"vote", "simsig", 2},
		{"vote", "simsig", 41},
		{"vote", "bls", 6},
		{"vote-after-tc", "simsig", 12},
		{"timeout", "simsig", 3},
		{"timeout", "simsig", 17},
		{"vote-then-timeout", "simsig", 9},
		{"proposal", "simsig", 5},
		{"proposal", "bls", 23},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%s/round%d", c.kind, c.scheme, c.round), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			child := startAndKill(t, dir, c.kind, c.scheme, c.round)

			scheme, key, err := crashKey(c.scheme)
			if err != nil {
				t.Fatal(err)
			}
			store := &countingStorage{inner: safety.NewFileStorage(filepath.Join(dir, "safety.dat"))}
			r, err := safety.New(chainID, key, store)
			if err != nil {
				t.Fatalf("restart: %v", err)
			}
			if err := r.StartEpoch(e, testIndex); err != nil {
				t.Fatal(err)
			}
			f := &fixture{t: t, scheme: scheme, store: store, rules: r, index: testIndex}
			if got := encode(r.Data()); !bytes.Equal(got, child.data) {
				t.Fatalf("restarted with %+v, child had persisted other data", r.Data())
			}
			checkAfterCrash(f, c.kind, c.round, child)
			if store.stores != 0 {
				t.Errorf("%d stores after restart, want none", store.stores)
			}
		})
	}
}

// checkAfterCrash asserts that the restarted signer f repeats what the child
// signed in round r and refuses anything that would contradict it.
func checkAfterCrash(f *fixture, kind string, r uint64, child childResult) {
	t := f.t
	t.Helper()
	a, b := crashBlock(kind, r, 0), crashBlock(kind, r, 1)
	pk := f.rules.PublicKey()
	lastVoted := r
	if kind == "proposal" {
		lastVoted = r - 1 // proposing is not voting: the leader votes for its block later
		if !f.scheme.Verify(pk, types.ProposalSigningBytes(chainID, e, r, a.ID()), child.proposal) {
			t.Errorf("child's proposal signature does not verify")
		}
	}
	if child.vote != nil {
		if !f.scheme.Verify(pk, types.VoteSigningBytes(chainID, e, r, a.ID()), f.rules.Data().LastVote.Sig) {
			t.Errorf("stored vote does not verify")
		}
		got := f.expect(vote(a, 0, nil), replay)
		if !bytes.Equal(types.EncodeMessage(got.vote), child.vote) {
			t.Errorf("vote for A after restart differs from the one the child signed")
		}
	}
	if child.timeout != nil {
		got := f.expect(timeout(e, r, qc(0), tc(r-1, 0)), replay)
		if !bytes.Equal(types.EncodeMessage(got.timeout), child.timeout) {
			t.Errorf("timeout after restart differs from the one the child signed")
		}
		if !f.scheme.Verify(pk, types.TimeoutSigningBytes(chainID, e, r, got.timeout.HighQC.Round), got.timeout.Sig) {
			t.Errorf("stored timeout does not verify")
		}
	}
	if lastVoted == r {
		f.expect(vote(b, r-2, nil), refused)
		f.expect(vote(b, r-2, tc(r-1, 0)), refused)
	}
	f.expect(timeout(e, lastVoted-1, qc(lastVoted-2), nil), refused)
	f.expect(propose(a), refused)
	f.expect(propose(b), refused)
}
