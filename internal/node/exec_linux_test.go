package node

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/lazchain/lazchain/internal/types"
)

// The node marks the executor's thread as bulk work in start; that is
// worth something only if every job then runs on that same thread.
func TestExecutorRunsJobsOnTheThreadStartPrepared(t *testing.T) {
	startTid := -1
	start := func() {
		runtime.LockOSThread()
		startTid = unix.Gettid()
	}
	var jobTids []int
	run := func(blocks []*types.Block) ([]types.StateRef, error) {
		jobTids = append(jobTids, unix.Gettid())
		return make([]types.StateRef, len(blocks)), nil
	}
	e := newExecutor(run, start)
	defer e.stop()
	for h := uint64(1); h <= 5; h++ {
		if err := e.submit(blocksAt(h)); err != nil {
			t.Fatal(err)
		}
		runtime.Gosched() // let other threads take the goroutine if they could
	}
	if err := e.wait(); err != nil {
		t.Fatal(err)
	}
	if startTid < 0 {
		t.Fatal("start did not run")
	}
	if len(jobTids) != 5 {
		t.Fatalf("ran %d jobs, want 5", len(jobTids))
	}
	for i, tid := range jobTids {
		if tid != startTid {
			t.Fatalf("job %d ran on thread %d, start on %d", i, tid, startTid)
		}
	}
}
