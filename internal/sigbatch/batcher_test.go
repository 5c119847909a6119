package sigbatch

import (
	"crypto/ed25519"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/types"
)

// signed returns n transactions from a fixed seed; those at the listed
// positions carry a corrupted signature.
func signed(seed byte, n int, bad ...int) []*types.Tx {
	txs := make([]*types.Tx, n)
	for i := range txs {
		k := make([]byte, ed25519.SeedSize)
		k[0], k[1] = seed, byte(i)
		txs[i] = &types.Tx{ChainID: "t", Nonce: uint64(i), Body: []byte("transfer")}
		txs[i].Sign(ed25519.NewKeyFromSeed(k))
	}
	for _, i := range bad {
		txs[i].Sig[0] ^= 1
	}
	return txs
}

func check(t *testing.T, got []bool, n int, bad ...int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("%d results for %d transactions", len(got), n)
	}
	want := make([]bool, n)
	for i := range want {
		want[i] = true
	}
	for _, i := range bad {
		want[i] = false
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("tx %d: valid %v, want %v", i, got[i], want[i])
		}
	}
}

func TestVerifyGivesEachCallerItsOwnResults(t *testing.T) {
	cases := []struct {
		name string
		size int
		bad  []int
	}{
		{"all valid", 5, nil},
		{"first bad", 3, []int{0}},
		{"last bad", 7, []int{6}},
		{"several bad", 20, []int{2, 3, 19}},
		{"one alone", 1, nil},
	}
	b := New(Config{Verify: types.VerifyTxs, Limit: 64, Workers: 1})
	defer b.Close()
	var wg sync.WaitGroup
	for round := 0; round < 4; round++ { // several rounds of concurrent callers
		for i, c := range cases {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t.Run(fmt.Sprintf("%s/%d", c.name, round), func(t *testing.T) {
					txs := signed(byte(i), c.size, c.bad...)
					check(t, b.Verify(txs), c.size, c.bad...)
				})
			}()
		}
	}
	wg.Wait()
	if got := b.Verify(nil); got != nil {
		t.Fatalf("Verify(nil) = %v, want nil", got)
	}
}

// Requests that queue while a check runs go into one call.
func TestQueuedRequestsShareACall(t *testing.T) {
	release := make(chan struct{})
	var calls, largest atomic.Int64
	verify := func(txs []*types.Tx) []bool {
		if calls.Add(1) == 1 {
			<-release // hold the first call so the others queue
		}
		if n := int64(len(txs)); n > largest.Load() {
			largest.Store(n)
		}
		return types.VerifyTxs(txs)
	}
	// The worker is held in Start until every request is in the queue.
	queued := make(chan struct{})
	b := New(Config{Verify: verify, Limit: 1024, Workers: 1, Start: func() { <-queued }})
	defer b.Close()
	first := signed(1, 2)
	done := make(chan []bool)
	go func() { done <- b.Verify(first) }()
	waitFor(t, "the first request to be checked", func() bool { return calls.Load() > 0 })
	const waiting = 8
	var wg sync.WaitGroup
	for i := 0; i < waiting; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			txs := signed(byte(10+i), 4, 1)
			check(t, b.Verify(txs), 4, 1)
		}()
	}
	// The first is checked on its caller (the batcher was idle); the
	// others queue behind it.
	waitFor(t, "every request to queue", func() bool { return len(b.reqs) == waiting })
	close(queued)
	close(release)
	check(t, <-done, 2)
	wg.Wait()
	if c := calls.Load(); c != 2 {
		t.Errorf("%d calls of verify for 1 + %d requests, want 2", c, waiting)
	}
	if l := largest.Load(); l != 4*waiting {
		t.Errorf("largest call checked %d, want %d", l, 4*waiting)
	}
}

func TestGroupsStopAtTheLimit(t *testing.T) {
	var sizes []int
	var mu sync.Mutex
	verify := func(txs []*types.Tx) []bool {
		mu.Lock()
		sizes = append(sizes, len(txs))
		mu.Unlock()
		return types.VerifyTxs(txs)
	}
	b := &Batcher{verify: verify, max: 10, reqs: make(chan *request, 16), quit: make(chan struct{})}
	var reqs []*request
	for i := 0; i < 5; i++ {
		r := &request{txs: signed(byte(i), 4), done: make(chan struct{})}
		reqs = append(reqs, r)
		b.reqs <- r
	}
	for len(b.reqs) > 0 {
		b.check(b.gather(<-b.reqs))
	}
	for _, r := range reqs {
		check(t, r.ok, 4)
	}
	// 4+4+4 reaches the limit of 10; the remaining 4+4 go next.
	if fmt.Sprint(sizes) != "[12 8]" {
		t.Errorf("call sizes %v, want [12 8]", sizes)
	}
}

func TestAfterCloseCallersCheckThemselves(t *testing.T) {
	// Not light, so the request takes the queue's path, not the caller's.
	b := New(Config{Verify: types.VerifyTxs, Limit: 64, Workers: 1, Light: func() bool { return false }})
	b.Close()
	check(t, b.Verify(signed(3, 5, 4)), 5, 4)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// Each worker runs start once, and checks in progress, the callers' and
// the workers', never exceed the number of workers: with two held in
// verify, a third request queues until one is released.
func TestChecksInProgressAreBoundedByWorkers(t *testing.T) {
	var started, calls atomic.Int64
	hold := make(chan struct{})
	verify := func(txs []*types.Tx) []bool {
		if calls.Add(1) <= 2 {
			<-hold
		}
		return types.VerifyTxs(txs)
	}
	b := New(Config{Verify: verify, Limit: 1, Workers: 2, Start: func() { started.Add(1) }})
	defer b.Close()
	waitFor(t, "both workers to start", func() bool { return started.Load() == 2 })
	results := make(chan []bool, 3)
	for i := range 2 {
		go func() { results <- b.Verify(signed(byte(40+i), 3, 2)) }()
	}
	waitFor(t, "two checks in progress at once", func() bool { return calls.Load() == 2 })
	go func() { results <- b.Verify(signed(42, 3, 2)) }()
	waitFor(t, "the third request to queue", func() bool { return b.pending.Load() == 1 })
	time.Sleep(20 * time.Millisecond)
	if c := calls.Load(); c != 2 {
		t.Fatalf("%d checks in progress with 2 workers", c)
	}
	close(hold)
	for range 3 {
		check(t, <-results, 3, 2)
	}
	waitFor(t, "no request to be pending", func() bool { return b.pending.Load() == 0 })
}

// An idle batcher checks a request on its caller, so a request is answered
// even while no worker can run (here: held in start); a request that
// arrives during that check queues for a worker.
func TestIdleCallerChecksAtOnce(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int64
	inCheck := make(chan struct{})
	verify := func(txs []*types.Tx) []bool {
		if calls.Add(1) == 2 {
			close(inCheck)
			<-release
		}
		return types.VerifyTxs(txs)
	}
	b := New(Config{Verify: verify, Limit: 64, Workers: 1, Start: func() { <-release }})
	defer b.Close()
	check(t, b.Verify(signed(50, 5, 1)), 5, 1)
	first := make(chan []bool)
	go func() { first <- b.Verify(signed(51, 4)) }()
	<-inCheck
	second := make(chan []bool)
	go func() { second <- b.Verify(signed(52, 6, 0, 5)) }()
	waitFor(t, "the request behind the check to queue", func() bool { return b.pending.Load() == 1 })
	close(release)
	check(t, <-first, 4)
	check(t, <-second, 6, 0, 5)
	if c := calls.Load(); c != 3 {
		t.Errorf("%d calls of verify, want 3", c)
	}
}

// Under load (Light false) even a lone request on an idle batcher goes to
// a worker: here the worker is held in start, so the request waits until
// it is released. Lightly loaded, the same batcher answers at once.
func TestLoadedBatcherLeavesChecksToWorkers(t *testing.T) {
	release := make(chan struct{})
	var light atomic.Bool
	light.Store(true)
	b := New(Config{Verify: types.VerifyTxs, Limit: 64, Workers: 1, Start: func() { <-release }, Light: light.Load})
	defer b.Close()
	check(t, b.Verify(signed(61, 2, 0)), 2, 0)
	light.Store(false)
	done := make(chan []bool)
	go func() { done <- b.Verify(signed(60, 3, 1)) }()
	waitFor(t, "the request to queue", func() bool { return b.pending.Load() == 1 })
	select {
	case <-done:
		t.Fatal("a loaded batcher checked on the caller")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	check(t, <-done, 3, 1)
	// The worker counts what it checked just after answering.
	waitFor(t, "the worker's count", func() bool { _, w := b.Checked(); return w == 3 })
	if c, _ := b.Checked(); c != 2 {
		t.Errorf("checked %d on the caller, want 2", c)
	}
}
