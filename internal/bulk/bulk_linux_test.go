package bulk

import (
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A marked thread runs under SCHED_BATCH with the requested slice, and
// only the marked goroutine's thread does.
func TestMarkSetsBatchPolicyAndSlice(t *testing.T) {
	cases := []struct {
		name  string
		slice time.Duration
	}{
		{"default slice", 0},
		{"20 ms", 20 * time.Millisecond},
		{"100 ms", 100 * time.Millisecond},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			type result struct {
				attr *unix.SchedAttr
				err  error
			}
			done := make(chan result)
			go func() {
				// The goroutine ends locked, so its thread ends with it.
				if err := Mark(c.slice); err != nil {
					done <- result{err: err}
					return
				}
				attr, err := unix.SchedGetAttr(0, 0)
				done <- result{attr, err}
			}()
			r := <-done
			if errors.Is(r.err, unix.EPERM) || errors.Is(r.err, unix.ENOSYS) {
				t.Skipf("this sandbox refuses sched_setattr: %v", r.err)
			}
			if r.err != nil {
				t.Fatal(r.err)
			}
			if r.attr.Policy != schedBatch {
				t.Errorf("policy %d, want SCHED_BATCH (%d)", r.attr.Policy, schedBatch)
			}
			// Kernels before 6.12 have no slice for fair tasks and report 0.
			if r.attr.Runtime != 0 && c.slice != 0 && r.attr.Runtime != uint64(c.slice) {
				t.Errorf("slice %v, want %v", time.Duration(r.attr.Runtime), c.slice)
			}
		})
	}
	attr, err := unix.SchedGetAttr(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if attr.Policy == schedBatch {
		t.Error("the test's own thread was marked")
	}
}

// The thread keeps its nice value: a node started under nice must not get
// a bulk thread above its others.
func TestMarkKeepsNice(t *testing.T) {
	done := make(chan error)
	go func() {
		runtime.LockOSThread() // the thread ends with this goroutine
		cur, err := unix.SchedGetAttr(0, 0)
		if err != nil {
			done <- err
			return
		}
		want := cur.Nice + 3
		if err := unix.SchedSetAttr(0, &unix.SchedAttr{Nice: want}, 0); err != nil {
			done <- err
			return
		}
		if err := Mark(20 * time.Millisecond); err != nil {
			done <- err
			return
		}
		got, err := unix.SchedGetAttr(0, 0)
		if err == nil && got.Nice != want {
			err = fmt.Errorf("nice %d after Mark, want %d", got.Nice, want)
		}
		done <- err
	}()
	if err := <-done; errors.Is(err, unix.EPERM) {
		t.Skipf("this sandbox refuses sched_setattr: %v", err)
	} else if err != nil {
		t.Fatal(err)
	}
}
