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
	attr := &unix.SchedAttr{Policy: schedBatch, Runtime: uint64(slice.Nanoseconds())}
	err := unix.SchedSetAttr(0, attr, 0)
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
