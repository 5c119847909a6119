package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/lazchain/lazchain/internal/rpc"
	"github.com/lazchain/lazchain/internal/types"
)

// Run offers the load and measures commits. cpu, if set, reports the
// node processes' total CPU seconds so far.
func Run(ctx context.Context, cfg Config, cpu func() float64) (*Result, error) {
	if cfg.Rate <= 0 || cfg.Duration <= 0 || len(cfg.Nodes) == 0 {
		return nil, fmt.Errorf("bench: need a positive rate and duration and at least one node")
	}
	if cfg.Accounts <= 0 {
		cfg.Accounts = 64 * len(cfg.Nodes)
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 10 * time.Millisecond
	}
	if cfg.ChainID == "" {
		id, err := chainID(ctx, cfg.Nodes[0])
		if err != nil {
			return nil, err
		}
		cfg.ChainID = id
	}
	signFor := cfg
	signFor.Duration += cfg.Warmup
	perAccount, signCost := presign(signFor)
	load := newLoader(cfg, perAccount)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the watcher
	w := newWatcher(rpc.NewClient(cfg.Nodes[0]))
	if err := w.start(ctx); err != nil {
		return nil, err
	}
	res := &Result{Rejected: map[string]int{}, SignCost: signCost, Warmup: cfg.Warmup}
	if cfg.Warmup > 0 {
		// Load rising to the rate, unmeasured. A cold start at the full
		// rate builds a backlog in its first seconds that drains only at
		// the margin between capacity and rate (BENCHMARKS.md); a run
		// without a warm-up shows it in its first windows.
		warm := &Result{Rejected: map[string]int{}}
		load.offer(ctx, cfg.Warmup, nil, warm, true)
		res.WarmupAccepted = warm.Accepted
	}
	before, err := rpc.NewClient(cfg.Nodes[0]).Status(ctx)
	if err != nil {
		return nil, err
	}
	var cpu0 float64
	if cpu != nil {
		cpu0 = cpu()
	}
	self0, selfErr := ProcessCPU(os.Getpid())
	start := time.Now()
	load.offer(ctx, cfg.Duration, w, res, false)
	offeredFor := time.Since(start)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bench: interrupted after %s of %s: %w", offeredFor.Round(time.Millisecond), cfg.Duration, err)
	}
	// CPU while the load was offered: averaged over the drain too, a run
	// that fell behind read as if the nodes had been idle for part of it.
	if cpu != nil {
		res.NodeCPU = (cpu() - cpu0) / offeredFor.Seconds()
	}
	if self1, err := ProcessCPU(os.Getpid()); err == nil && selfErr == nil {
		res.LoadCPU = (self1 - self0) / offeredFor.Seconds()
	}
	lat, sent := w.drain(ctx, res.Accepted, cfg.Drain)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bench: interrupted while waiting for commits: %w", err)
	}
	res.Windows = windows(lat, sent, start, windowLen)
	summarize(res, lat, offeredFor, lastCommit(lat, sent, start))
	if after, err := rpc.NewClient(cfg.Nodes[0]).Status(ctx); err == nil {
		res.Blocks = after.Height - before.Height
		// Rounds restart at every epoch: across a change the difference
		// means nothing, and 0 says so rather than a wrapped number.
		if after.Epoch == before.Epoch && after.Round >= before.Round {
			res.Rounds = after.Round - before.Round
		}
	}
	return res, nil
}

// lastCommit is when, after start, the last transaction was seen committed.
func lastCommit(lat []time.Duration, sent []time.Time, start time.Time) time.Duration {
	var last time.Duration
	for i, l := range lat {
		last = max(last, sent[i].Add(l).Sub(start))
	}
	return last
}

// loader offers the presigned transactions. Account a always goes to node
// a mod len(nodes), so its nonces arrive in order. The load is open-loop:
// a slow node does not slow the offered rate. It keeps its place in every
// account's nonces across calls, so a warm-up and the measured run follow
// on from each other. A transaction refused for want of room (the node
// busy, its pool full, or an earlier nonce refused so) is offered again in
// the account's next turn, as a client would: dropped, it would leave a
// gap that refused every later nonce of its account, and a run past the
// node's capacity would measure the gaps, not the node.
type loader struct {
	cfg        Config
	clients    []*rpc.Client
	perAccount [][]*types.Tx
	account    int

	mu      sync.Mutex
	next    []int // per account: the index of the next transaction to send
	offered []int // per account: how many were ever sent (the rest resent)
}

func newLoader(cfg Config, perAccount [][]*types.Tx) *loader {
	l := &loader{cfg: cfg, perAccount: perAccount, next: make([]int, len(perAccount)), offered: make([]int, len(perAccount))}
	for _, u := range cfg.Nodes {
		l.clients = append(l.clients, rpc.NewClient(u))
	}
	return l
}

// pos is where a sent transaction sits in the presigned load.
type pos struct{ account, index int }

// take returns account a's next transaction and whether it is sent for
// the first time, or nil when the account has none left.
func (l *loader) take(a int) (*types.Tx, pos, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := l.next[a]
	if i >= len(l.perAccount[a]) {
		return nil, pos{}, false
	}
	l.next[a]++
	first := i >= l.offered[a]
	l.offered[a] = max(l.offered[a], i+1)
	return l.perAccount[a][i], pos{a, i}, first
}

// rewind sends p's transaction again in its account's next turn.
func (l *loader) rewind(p pos) {
	l.mu.Lock()
	l.next[p.account] = min(l.next[p.account], p.index)
	l.mu.Unlock()
}

// retryable reports whether a refusal was for want of room, not of the
// transaction: sent again later, it gets in.
func retryable(code string) bool {
	switch code {
	case "busy", "mempool_full", "too_many_connections", "nonce_gap":
		return true
	}
	return false
}

// offer sends, every tick for d, the transactions due by then, and waits
// for the submissions to be answered. With w nil nothing is recorded for
// latency (a warm-up). With ramp set the rate climbs linearly from zero
// to the full rate over d.
func (l *loader) offer(ctx context.Context, d time.Duration, w *watcher, res *Result, ramp bool) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	ticker := time.NewTicker(l.cfg.Tick)
	defer ticker.Stop()
	sent := 0
	for now := range ticker.C {
		if ctx.Err() != nil || now.Sub(start) > d {
			break
		}
		due := dueBy(l.cfg.Rate, now.Sub(start), d, ramp)
		batches := make([][]*types.Tx, len(l.clients))
		where := make([][]pos, len(l.clients))
		fresh, taken := 0, 0
		for ; sent < due; sent++ {
			a := l.account % len(l.perAccount)
			l.account++
			tx, p, first := l.take(a)
			if tx == nil {
				continue
			}
			taken++
			if first {
				fresh++
			}
			c := a % len(l.clients)
			batches[c] = append(batches[c], tx)
			where[c] = append(where[c], p)
		}
		mu.Lock()
		res.Offered += fresh
		res.Resent += taken - fresh
		mu.Unlock()
		for i, b := range batches {
			if len(b) == 0 {
				continue
			}
			if w != nil {
				w.submitted(b, now)
			}
			wg.Add(1)
			go func(c *rpc.Client, b []*types.Tx, where []pos) {
				defer wg.Done()
				r, err := c.SubmitBatch(ctx, b)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					res.Rejected["http: "+err.Error()] += len(b)
					var api *rpc.APIError
					if errors.As(err, &api) && retryable(api.Code) {
						for _, p := range where {
							l.rewind(p)
						}
					}
					return
				}
				res.Accepted += r.Accepted
				for _, e := range r.Rejected {
					res.Rejected[e.Code]++
					if e.Index != nil && *e.Index < len(where) && retryable(e.Code) {
						l.rewind(where[*e.Index])
					}
				}
			}(l.clients[i], b, where[i])
		}
	}
	wg.Wait()
}

// dueBy is how many transactions are due after elapsed of a stretch of
// length d at rate: rate*t, or with ramp the integral of a rate rising
// linearly from zero to rate over d.
func dueBy(rate int, elapsed, d time.Duration, ramp bool) int {
	t := elapsed.Seconds()
	if !ramp || d <= 0 {
		return int(float64(rate) * t)
	}
	return int(float64(rate) * t * t / (2 * d.Seconds()))
}
