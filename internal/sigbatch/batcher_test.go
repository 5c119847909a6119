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
	b := New(types.VerifyTxs, 64, 1, nil)
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
	b := New(verify, 1024, 1, nil)
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
	waitFor(t, "every request to queue", func() bool { return len(b.reqs) == waiting })
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
	b := New(types.VerifyTxs, 64, 1, nil)
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

// Each worker runs start once before it checks anything, and the workers
// check requests at the same time: two requests each held inside verify
// until both have arrived would deadlock a single worker.
func TestWorkersStartAndCheckConcurrently(t *testing.T) {
	var started atomic.Int64
	arrived := make(chan struct{}, 2)
	both := make(chan struct{})
	verify := func(txs []*types.Tx) []bool {
		if started.Load() != 2 {
			t.Errorf("verify ran before both workers started (%d)", started.Load())
		}
		arrived <- struct{}{}
		<-both
		return types.VerifyTxs(txs)
	}
	b := New(verify, 1, 2, func() { started.Add(1) })
	defer b.Close()
	waitFor(t, "both workers to start", func() bool { return started.Load() == 2 })
	results := make(chan []bool, 2)
	for i := range 2 {
		go func() { results <- b.Verify(signed(byte(40+i), 3, 2)) }()
	}
	for range 2 {
		select {
		case <-arrived:
		case <-time.After(10 * time.Second):
			t.Fatal("the second request was not checked while the first was in verify")
		}
	}
	close(both)
	for range 2 {
		check(t, <-results, 3, 2)
	}
}
