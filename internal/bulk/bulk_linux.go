package bulk

import (
	"fmt"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// schedBatch is SCHED_BATCH from <sched.h>.
const schedBatch = 3

// Mark locks the calling goroutine to its thread and marks the thread as
// bulk work with the given time slice (the kernel clamps it to 0.1-100 ms).
// On an error the goroutine is still locked and the thread unchanged.
func Mark(slice time.Duration) error {
	runtime.LockOSThread()
	cur, err := unix.SchedGetAttr(0, 0)
	if err != nil {
		return fmt.Errorf("bulk: sched_getattr: %w", err)
	}
	// Keep the thread's nice value: sched_setattr sets it too, and 0 would
	// raise a node started under nice above its other threads (or fail
	// without the privilege to lower a nice value).
	attr := &unix.SchedAttr{Policy: schedBatch, Nice: cur.Nice, Runtime: uint64(slice.Nanoseconds())}
	err = unix.SchedSetAttr(0, attr, 0)
	if err == unix.EINVAL && attr.Runtime != 0 {
		// A kernel that checks the field for fair tasks and has no slice.
		attr.Runtime = 0
		err = unix.SchedSetAttr(0, attr, 0)
	}
	if err != nil {
		return fmt.Errorf("bulk: sched_setattr(SCHED_BATCH, slice %v): %w", slice, err)
	}
	return nil
}
