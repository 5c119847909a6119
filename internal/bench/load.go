package bench

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/lazchain/lazchain/internal/rpc"
	"github.com/lazchain/lazchain/internal/types"
)

// Config of one load run.
type Config struct {
	Nodes    []string // API base URLs
	ChainID  string
	Rate     int           // offered transactions per second
	Duration time.Duration // how long load is offered
	TxBytes  int           // target encoded size of each transaction
	Accounts int
	Tick     time.Duration // batches go out this often
	// Drain is how long to keep watching for commits after the load stops.
	Drain time.Duration
	// Warmup offers load rising linearly from zero to Rate for this long
	// before the measured Duration; those transactions are not measured.
	Warmup time.Duration
}

// Result is what a run measured.
type Result struct {
	Offered   int `json:"offered"`
	Resent    int `json:"resent,omitempty"` // offered again after a refusal for want of room
	Accepted  int `json:"accepted"`
	Committed int `json:"committed"`
	// Lost are accepted transactions never seen committed by the end of
	// the drain. They count in the percentiles as Unbounded: a run that
	// loses some is not as fast as its commits alone would say.
	Lost     int           `json:"lost,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	// Span runs from the start of the offer to the last commit seen, or to
	// the offer's end if that came later; CommittedTPS is over it.
	Span         time.Duration `json:"span_ns"`
	CommittedTPS float64       `json:"committed_tps"`
	P50          time.Duration `json:"latency_p50_ns"`
	P99          time.Duration `json:"latency_p99_ns"`
	Max          time.Duration `json:"latency_max_ns"`
	NodeCPU      float64       `json:"node_cpu_cores,omitempty"` // average cores used by the node processes while the load was offered; absent when attached (--nodes)
	LoadCPU      float64       `json:"load_cpu_cores,omitempty"` // the same for the load generator (this process), which shares the machine
	Blocks       uint64        `json:"blocks"`
	Rounds       uint64        `json:"rounds"` // 0 when the run crossed an epoch (rounds restart)
	Rejected     map[string]int
	// Windows splits the latencies by when the transactions were sent,
	// windowLen at a time: a p99 made by a backlog early in the run and
	// one made evenly throughout look alike in the totals.
	Windows []Window `json:"windows,omitempty"`
	// Warmup is the unmeasured load before the run, and how many of its
	// transactions were accepted.
	Warmup         time.Duration `json:"warmup_ns,omitempty"`
	WarmupAccepted int           `json:"warmup_accepted,omitempty"`
	// SignCost is the CPU time per transaction the load generator spent
	// signing before the run, with the cluster idle: a canary of the
	// machine's speed at the time. Shared machines vary up to threefold,
	// and a run on a slow host is not comparable with one on a fast host.
	SignCost time.Duration `json:"presign_cpu_per_tx_ns"`
}

// presign makes every transaction before the clock starts, so signing
// does not compete with the nodes for CPU during the measurement. It
// returns them with the CPU time per transaction it took (all cores busy).
func presign(cfg Config) ([][]*types.Tx, time.Duration) {
	start := time.Now()
	// Enough for every tick of the whole duration, a fraction of a second
	// included: run out early, the rest of the slots were skipped while
	// committed/s still divided by the whole time.
	total := int(math.Ceil(float64(cfg.Rate) * cfg.Duration.Seconds()))
	if total <= 0 {
		total = cfg.Rate
	}
	keys := make([]ed25519.PrivateKey, cfg.Accounts)
	for i := range keys {
		seed := make([]byte, ed25519.SeedSize)
		binary.BigEndian.PutUint64(seed, uint64(time.Now().UnixNano()))
		binary.BigEndian.PutUint32(seed[8:], uint32(i))
		keys[i] = ed25519.NewKeyFromSeed(seed)
	}
	// Pad the body so that the whole encoding has TxBytes.
	probe := &types.Tx{ChainID: cfg.ChainID, Sender: make([]byte, ed25519.PublicKeySize), Sig: make([]byte, ed25519.SignatureSize)}
	pad := max(0, cfg.TxBytes-len(probe.Encode()))
	// perAccount[a] holds account a's transactions in nonce order.
	perAccount := make([][]*types.Tx, cfg.Accounts)
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for a := w; a < cfg.Accounts; a += runtime.GOMAXPROCS(0) {
				n := total / cfg.Accounts
				if a < total%cfg.Accounts {
					n++
				}
				txs := make([]*types.Tx, n)
				for i := range txs {
					body := make([]byte, pad)
					binary.BigEndian.PutUint64(body, uint64(i))
					txs[i] = &types.Tx{ChainID: cfg.ChainID, Nonce: uint64(i), Body: body}
					txs[i].Sign(keys[a])
				}
				perAccount[a] = txs
			}
		}(w)
	}
	wg.Wait()
	return perAccount, time.Since(start) * time.Duration(runtime.GOMAXPROCS(0)) / time.Duration(total)
}

// percentile returns the p-th percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)-1))
	return sorted[i]
}

// Window is the latency of the transactions sent in one stretch of a run.
type Window struct {
	From      time.Duration `json:"from_ns"` // since the load started
	Committed int           `json:"committed"`
	P50       time.Duration `json:"latency_p50_ns"`
	P99       time.Duration `json:"latency_p99_ns"`
}

const windowLen = 5 * time.Second

// windows groups lat by sent (lat[i] belongs to sent[i]) into stretches
// of length d from start.
func windows(lat []time.Duration, sent []time.Time, start time.Time, d time.Duration) []Window {
	var groups [][]time.Duration
	for i, l := range lat {
		k := max(0, int(sent[i].Sub(start)/d))
		for len(groups) <= k {
			groups = append(groups, nil)
		}
		groups[k] = append(groups[k], l)
	}
	out := make([]Window, len(groups))
	for k, g := range groups {
		sort.Slice(g, func(i, j int) bool { return g[i] < g[j] })
		out[k] = Window{From: time.Duration(k) * d, Committed: len(g), P50: percentile(g, 0.50), P99: percentile(g, 0.99)}
	}
	return out
}

// summarize fills in r from the latencies. The committed rate is over
// the offer or, if the last commit came after it, until that commit: a run
// that fell behind and caught up in the drain sustained less than the
// rate it was offered, whatever it committed in the end.
func summarize(r *Result, lat []time.Duration, offered, lastCommit time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	r.Committed = len(lat)
	r.Duration = offered
	r.Span = max(offered, lastCommit)
	r.CommittedTPS = float64(len(lat)) / r.Span.Seconds()
	r.Lost = max(0, r.Accepted-r.Committed)
	all := lat
	for range r.Lost {
		all = append(all, Unbounded)
	}
	r.P50, r.P99 = percentile(all, 0.50), percentile(all, 0.99)
	if len(all) > 0 {
		r.Max = all[len(all)-1]
	}
}

// Unbounded is the latency of a transaction accepted but never seen
// committed.
const Unbounded = time.Duration(math.MaxInt64)

// FormatLatency prints a latency for the table: "lost" for Unbounded.
func FormatLatency(d time.Duration) string {
	if d == Unbounded {
		return "lost"
	}
	return d.Round(time.Millisecond).String()
}

// chainID asks the first node.
func chainID(ctx context.Context, url string) (string, error) {
	st, err := rpc.NewClient(url).Status(ctx)
	if err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	return st.ChainID, nil
}
