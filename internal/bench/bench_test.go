package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/types"
)

func TestPercentileAndSummary(t *testing.T) {
	lat := []time.Duration{5, 1, 4, 2, 3, 9, 8, 7, 6, 10}
	for i := range lat {
		lat[i] *= time.Millisecond
	}
	var r Result
	summarize(&r, lat, 2*time.Second, time.Second)
	cases := []struct {
		name      string
		got, want time.Duration
	}{
		{"p50", r.P50, 5 * time.Millisecond},
		{"p99", r.P99, 9 * time.Millisecond},
		{"max", r.Max, 10 * time.Millisecond},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if r.Committed != 10 || r.CommittedTPS != 5 {
		t.Errorf("committed %d at %.1f tx/s, want 10 at 5", r.Committed, r.CommittedTPS)
	}
	// Caught up only in the drain: the rate is over the time it took.
	summarize(&r, lat, 2*time.Second, 4*time.Second)
	if r.CommittedTPS != 2.5 || r.Span != 4*time.Second {
		t.Errorf("last commit 2 s after the offer: %.1f tx/s over %v, want 2.5 over 4s", r.CommittedTPS, r.Span)
	}
	if percentile(nil, 0.5) != 0 {
		t.Error("percentile of nothing should be 0")
	}
}

func TestPresignMakesConsecutiveNonces(t *testing.T) {
	per, cost := presign(Config{ChainID: "bench-test", Rate: 100, Duration: time.Second, TxBytes: 250, Accounts: 7})
	total := 0
	for a, txs := range per {
		for i, tx := range txs {
			if tx.Nonce != uint64(i) || tx.VerifySig() != nil {
				t.Fatalf("account %d tx %d: nonce %d, sig %v", a, i, tx.Nonce, tx.VerifySig())
			}
			if n := len(tx.Encode()); n < 230 || n > 270 {
				t.Fatalf("tx of %d bytes, want about 250", n)
			}
		}
		total += len(txs)
	}
	if total != 100 {
		t.Fatalf("presigned %d txs, want 100", total)
	}
	// Signing takes microseconds a transaction, never nothing and never a
	// second: the canary measures, it does not guess.
	if cost <= 0 || cost > time.Second {
		t.Fatalf("signing cost %v a transaction", cost)
	}
}

func TestProcessCPU(t *testing.T) {
	deadline := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(deadline) { // burn a little CPU so the count moves
	}
	s, err := ProcessCPU(os.Getpid())
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if s <= 0 {
		t.Fatalf("own CPU time %v, want > 0", s)
	}
	if _, err := ProcessCPU(1 << 30); err == nil {
		t.Fatal("a process that does not exist has CPU time")
	}
}

// The generator's rows are the fixed CSV shape the attestation schema
// describes, and each seed gives other bytes.
func TestAppendRow(t *testing.T) {
	for _, tc := range []struct {
		seed, row int
		want      string
	}{
		{0, 1, "1,7919.1,s0-r1\n"},
		{5, 13, "13,2952.3,s5-r13\n"},
		{1_000_000, 977, "977,36863.7,s1000000-r0\n"},
	} {
		if got := string(appendRow(nil, tc.seed, tc.row)); got != tc.want {
			t.Errorf("appendRow(%d, %d) = %q, want %q", tc.seed, tc.row, got, tc.want)
		}
	}
}

func TestWindows(t *testing.T) {
	start := time.Unix(1000, 0)
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	tests := []struct {
		name string
		lat  []time.Duration
		sent []time.Time
		want []Window
	}{
		{"none", nil, nil, []Window{}},
		{"one window", []time.Duration{ms(30), ms(10), ms(20)}, []time.Time{at(0), at(100), at(999)},
			[]Window{{From: 0, Committed: 3, P50: ms(20), P99: ms(20)}}},
		{"a gap stays as an empty window", []time.Duration{ms(5), ms(700)}, []time.Time{at(10), at(2500)},
			[]Window{{From: 0, Committed: 1, P50: ms(5), P99: ms(5)}, {From: time.Second}, {From: 2 * time.Second, Committed: 1, P50: ms(700), P99: ms(700)}}},
		{"sent before the start counts in the first", []time.Duration{ms(1)}, []time.Time{at(-5)},
			[]Window{{From: 0, Committed: 1, P50: ms(1), P99: ms(1)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := windows(tc.lat, tc.sent, start, time.Second)
			if len(got) != len(tc.want) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("window %d: got %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// A warm-up and the measured run follow on from each other: every
// account's nonces reach the node in order, none twice, none skipped.
func TestLoaderContinuesAcrossCalls(t *testing.T) {
	var mu sync.Mutex
	seen := map[string][]uint64{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		txs, err := types.DecodeTxBatch(body)
		if err != nil {
			t.Errorf("batch: %v", err)
			return
		}
		mu.Lock()
		for _, tx := range txs {
			seen[string(tx.Sender)] = append(seen[string(tx.Sender)], tx.Nonce)
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"accepted":%d}`, len(txs))
	}))
	defer srv.Close()
	cfg := Config{Nodes: []string{srv.URL}, ChainID: "bench-test", Rate: 400, Duration: time.Second, TxBytes: 250, Accounts: 5, Tick: 10 * time.Millisecond}
	per, _ := presign(cfg)
	l := newLoader(cfg, per)
	warm, measured := &Result{Rejected: map[string]int{}}, &Result{Rejected: map[string]int{}}
	l.offer(context.Background(), 300*time.Millisecond, nil, warm, true)
	l.offer(context.Background(), 300*time.Millisecond, nil, measured, false)
	if warm.Accepted == 0 || measured.Accepted == 0 {
		t.Fatalf("accepted %d then %d", warm.Accepted, measured.Accepted)
	}
	total := 0
	for sender, nonces := range seen {
		// Batches go out concurrently, so arrival order may differ.
		slices.Sort(nonces)
		for i, n := range nonces {
			if n != uint64(i) {
				t.Fatalf("account %x got nonces %v", sender[:4], nonces)
			}
		}
		total += len(nonces)
	}
	if total != warm.Accepted+measured.Accepted {
		t.Fatalf("server saw %d, loader counted %d", total, warm.Accepted+measured.Accepted)
	}
}

func TestDueBy(t *testing.T) {
	tests := []struct {
		name    string
		rate    int
		elapsed time.Duration
		d       time.Duration
		ramp    bool
		want    int
	}{
		{"steady", 1000, 2 * time.Second, 10 * time.Second, false, 2000},
		{"ramp start", 1000, 0, 10 * time.Second, true, 0},
		{"ramp half way: a quarter of the ramp's total", 1000, 5 * time.Second, 10 * time.Second, true, 1250},
		{"ramp end: half of the steady stretch", 1000, 10 * time.Second, 10 * time.Second, true, 5000},
		{"ramp without a length", 1000, time.Second, 0, true, 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := dueBy(tc.rate, tc.elapsed, tc.d, tc.ramp); got != tc.want {
				t.Fatalf("dueBy = %d, want %d", got, tc.want)
			}
		})
	}
}

// Refusals for want of room are offered again, in nonce order: what the
// node took of each account is a run from nonce 0 with no gap, however
// often it was busy or full.
func TestLoaderResendsWhatWasRefusedForRoom(t *testing.T) {
	var mu sync.Mutex
	took := map[string]map[uint64]bool{}
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		txs, err := types.DecodeTxBatch(body)
		if err != nil {
			t.Errorf("batch: %v", err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		calls++
		w.Header().Set("Content-Type", "application/json")
		if calls%4 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"error":{"code":"busy","message":"saturated"}}`)
			return
		}
		// A node's pool: a nonce past a gap is refused, a known one is a
		// duplicate, and every fifth call the pool is full for its first.
		accepted, rejected := 0, []string{}
		for i, tx := range txs {
			s := string(tx.Sender)
			if took[s] == nil {
				took[s] = map[uint64]bool{}
			}
			switch {
			case took[s][tx.Nonce]:
				rejected = append(rejected, fmt.Sprintf(`{"code":"duplicate","index":%d}`, i))
			case tx.Nonce > 0 && !took[s][tx.Nonce-1]:
				rejected = append(rejected, fmt.Sprintf(`{"code":"nonce_gap","index":%d}`, i))
			case calls%5 == 0 && i == 0:
				rejected = append(rejected, fmt.Sprintf(`{"code":"mempool_full","index":%d}`, i))
			default:
				took[s][tx.Nonce] = true
				accepted++
			}
		}
		fmt.Fprintf(w, `{"accepted":%d,"rejected":[%s]}`, accepted, strings.Join(rejected, ","))
	}))
	defer srv.Close()
	cfg := Config{Nodes: []string{srv.URL}, ChainID: "bench-test", Rate: 2000, Duration: time.Second, TxBytes: 250, Accounts: 5, Tick: 10 * time.Millisecond}
	per, _ := presign(cfg)
	l := newLoader(cfg, per)
	res := &Result{Rejected: map[string]int{}}
	l.offer(context.Background(), 500*time.Millisecond, nil, res, false)
	if res.Resent == 0 || res.Rejected["mempool_full"] == 0 {
		t.Fatalf("nothing resent (%d) or refused for room: %v", res.Resent, res.Rejected)
	}
	total := 0
	for s, nonces := range took {
		for n := range uint64(len(nonces)) {
			if !nonces[n] {
				t.Fatalf("account %x: nonce %d missing among %d taken", s[:4], n, len(nonces))
			}
		}
		total += len(nonces)
	}
	if total != res.Accepted || total < res.Offered/2 {
		t.Fatalf("server took %d, loader counted %d accepted of %d offered", total, res.Accepted, res.Offered)
	}
}

// Transactions accepted but never seen committed count in the
// percentiles, as unbounded: left out, a run that lost some read as fast
// as its commits alone.
func TestLostTransactionsCountInPercentiles(t *testing.T) {
	lat := make([]time.Duration, 98)
	for i := range lat {
		lat[i] = time.Duration(i+1) * time.Millisecond
	}
	r := &Result{Accepted: 100}
	summarize(r, lat, time.Second, 0)
	if r.Committed != 98 || r.Lost != 2 {
		t.Fatalf("committed %d lost %d, want 98 and 2", r.Committed, r.Lost)
	}
	if r.P99 != Unbounded || FormatLatency(r.P99) != "lost" {
		t.Fatalf("p99 %v with 2%% lost, want unbounded", r.P99)
	}
	if r.P50 != 50*time.Millisecond {
		t.Fatalf("p50 %v", r.P50)
	}
	r = &Result{Accepted: 98}
	summarize(r, lat, time.Second, 0)
	if r.Lost != 0 || r.P99 == Unbounded {
		t.Fatalf("nothing lost: lost %d p99 %v", r.Lost, r.P99)
	}
}

// Presigning covers the whole duration, a fraction of a second included:
// cut to whole seconds, a 2.5 s run ran out of transactions at 2 s.
func TestPresignCoversFractionalDuration(t *testing.T) {
	per, _ := presign(Config{Rate: 400, Duration: 2500 * time.Millisecond, Accounts: 4, ChainID: "presign-test", TxBytes: 250})
	total := 0
	for _, txs := range per {
		total += len(txs)
	}
	if total < 1000 {
		t.Fatalf("%d transactions presigned for 2.5 s at 400/s, want 1000", total)
	}
}

// A node that exited during a run is noticed, zombie or gone: figures
// from a cluster that lost a node were printed as the cluster's.
func TestRunningSeesAnExitedChild(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skip("no sleep binary:", err)
	}
	pid := cmd.Process.Pid
	if !Running(pid) {
		t.Fatal("a running child reads as exited")
	}
	cmd.Process.Kill()
	deadline := time.Now().Add(5 * time.Second)
	for Running(pid) { // not waited for: a zombie
		if time.Now().After(deadline) {
			t.Fatal("a killed child still reads as running")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Wait()
	if Running(pid) {
		t.Fatal("a reaped child reads as running")
	}
}

// The last commit is the latest send plus latency, wherever it falls in
// the slices.
func TestLastCommit(t *testing.T) {
	start := time.Unix(1000, 0)
	sent := []time.Time{start, start.Add(3 * time.Second), start.Add(time.Second)}
	lat := []time.Duration{500 * time.Millisecond, time.Second, 5 * time.Second}
	if got := lastCommit(lat, sent, start); got != 6*time.Second {
		t.Fatalf("last commit %v after start, want 6s", got)
	}
	if got := lastCommit(nil, nil, start); got != 0 {
		t.Fatalf("no commits: %v", got)
	}
}
