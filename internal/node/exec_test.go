package node

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/types"
)

// fakeRun records the heights it ran, in order, and fails at failAt.
type fakeRun struct {
	mu     sync.Mutex
	ran    []uint64
	failAt uint64
	gate   chan struct{} // when set, each job waits for a token
}

func (f *fakeRun) run(blocks []*types.Block) ([]types.StateRef, error) {
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var refs []types.StateRef
	for _, b := range blocks {
		if b.Height == f.failAt {
			return refs, errors.New("disk full")
		}
		f.ran = append(f.ran, b.Height)
		refs = append(refs, types.StateRef{Height: b.Height})
	}
	return refs, nil
}

func (f *fakeRun) heights() []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]uint64(nil), f.ran...)
}

func blocksAt(heights ...uint64) []*types.Block {
	var out []*types.Block
	for _, h := range heights {
		out = append(out, &types.Block{Height: h})
	}
	return out
}

func TestExecutorRunsInCommitOrder(t *testing.T) {
	cases := []struct {
		name    string
		jobs    [][]uint64
		failAt  uint64
		wantRan []uint64
		wantErr bool
	}{
		{"one block per job", [][]uint64{{1}, {2}, {3}}, 0, []uint64{1, 2, 3}, false},
		{"several per job", [][]uint64{{1, 2}, {3}, {4, 5, 6}}, 0, []uint64{1, 2, 3, 4, 5, 6}, false},
		{"a failure stops the rest", [][]uint64{{1}, {2, 3}, {4}}, 3, []uint64{1, 2}, true},
		{"no jobs", nil, 0, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeRun{failAt: c.failAt}
			e := newExecutor(f.run, nil)
			defer e.stop()
			for _, j := range c.jobs {
				e.submit(blocksAt(j...))
			}
			err := e.wait()
			if (err != nil) != c.wantErr {
				t.Fatalf("wait: err %v, want error %v", err, c.wantErr)
			}
			if got := f.heights(); !slices.Equal(got, c.wantRan) {
				t.Fatalf("ran %v, want %v", got, c.wantRan)
			}
		})
	}
}

func TestExecutorReportsResultsInOrder(t *testing.T) {
	f := &fakeRun{}
	e := newExecutor(f.run, nil)
	defer e.stop()
	e.submit(blocksAt(1, 2))
	e.submit(blocksAt(3))
	var got []uint64
	deadline := time.After(5 * time.Second)
	for len(got) < 3 {
		select {
		case <-e.ready:
			refs, err := e.take()
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, heightsOf(refs)...)
		case <-deadline:
			t.Fatalf("results %v after 5s, want 3", got)
		}
	}
	if !slices.Equal(got, []uint64{1, 2, 3}) {
		t.Fatalf("results %v, want [1 2 3]", got)
	}
}

// The driver may wait on a barrier without ever taking results: the
// executor must not block on handing them over.
func TestExecutorBarrierNeedsNoReader(t *testing.T) {
	f := &fakeRun{}
	e := newExecutor(f.run, nil)
	defer e.stop()
	for h := uint64(1); h <= 3*execQueue; h++ {
		e.submit(blocksAt(h))
	}
	done := make(chan error, 1)
	go func() { done <- e.wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("barrier did not return while results went untaken")
	}
	if n := len(f.heights()); n != 3*execQueue {
		t.Fatalf("ran %d blocks before the barrier, want %d", n, 3*execQueue)
	}
}

// stop lets queued work finish: nothing handed over is dropped at shutdown.
func TestExecutorStopFinishesQueuedJobs(t *testing.T) {
	f := &fakeRun{gate: make(chan struct{})}
	e := newExecutor(f.run, nil)
	for h := uint64(1); h <= 4; h++ {
		e.submit(blocksAt(h))
	}
	go func() {
		for i := 0; i < 4; i++ {
			f.gate <- struct{}{}
		}
	}()
	e.stop()
	if got := f.heights(); !slices.Equal(got, []uint64{1, 2, 3, 4}) {
		t.Fatalf("ran %v before stop returned, want [1 2 3 4]", got)
	}
}

// heightsOf lists the heights results are for.
func heightsOf(refs []types.StateRef) []uint64 {
	var out []uint64
	for _, r := range refs {
		out = append(out, r.Height)
	}
	return out
}

func TestExecutorInline(t *testing.T) {
	big := make([]*types.Tx, inlineTxs+1)
	cases := []struct {
		name     string
		queued   bool // a slow job is still running
		blocks   []*types.Block
		wantOK   bool
		wantRefs []uint64
	}{
		{"small and idle: runs here", false, blocksAt(5, 6), true, []uint64{5, 6}},
		{"nothing to run", false, nil, true, nil},
		{"too many transactions", false, []*types.Block{{Height: 5, Txs: big}}, false, nil},
		{"behind a queued job", true, blocksAt(5), false, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeRun{gate: make(chan struct{}, 1)}
			e := newExecutor(f.run, nil)
			defer e.stop()
			if c.queued {
				e.submit(blocksAt(4))
				defer func() { f.gate <- struct{}{} }()
			} else {
				close(f.gate)
			}
			refs, ok, err := e.inline(c.blocks)
			if err != nil || ok != c.wantOK {
				t.Fatalf("inline: ok %v err %v, want ok %v", ok, err, c.wantOK)
			}
			got := heightsOf(refs)
			if !slices.Equal(got, c.wantRefs) {
				t.Fatalf("results %v, want %v", got, c.wantRefs)
			}
		})
	}
}

// Results of earlier jobs come before those of blocks run inline.
func TestExecutorInlineKeepsOrder(t *testing.T) {
	f := &fakeRun{}
	e := newExecutor(f.run, nil)
	defer e.stop()
	e.submit(blocksAt(1, 2))
	deadline := time.Now().Add(5 * time.Second)
	for e.queued.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	refs, ok, err := e.inline(blocksAt(3))
	if !ok || err != nil {
		t.Fatalf("inline: ok %v err %v", ok, err)
	}
	got := heightsOf(refs)
	if !slices.Equal(got, []uint64{1, 2, 3}) {
		t.Fatalf("results %v, want [1 2 3]", got)
	}
}

// Past execMaxBlocks queued, submit waits for the queue to drain, and no
// result is lost on the way.
func TestExecutorBoundsQueuedBlocks(t *testing.T) {
	f := &fakeRun{}
	e := newExecutor(f.run, nil)
	defer e.stop()
	var h uint64
	for job := 0; job < 5; job++ { // 5 jobs of 64 blocks: more than execMaxBlocks
		var hs []uint64
		for i := 0; i < 64; i++ {
			h++
			hs = append(hs, h)
		}
		if err := e.submit(blocksAt(hs...)); err != nil {
			t.Fatal(err)
		}
		if q := e.blocks.Load(); q > execMaxBlocks {
			t.Fatalf("%d blocks queued after submit, bound %d", q, execMaxBlocks)
		}
	}
	if err := e.wait(); err != nil {
		t.Fatal(err)
	}
	refs, err := e.take()
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != int(h) {
		t.Fatalf("%d results for %d blocks", len(refs), h)
	}
	for i, r := range refs {
		if r.Height != uint64(i+1) {
			t.Fatalf("result %d is for height %d", i, r.Height)
		}
	}
}
