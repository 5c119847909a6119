//go:build !linux

package bulk

import (
	"errors"
	"runtime"
	"time"
)

// Mark locks the calling goroutine to its thread; other systems have no
// setting for bulk work that it could apply.
func Mark(slice time.Duration) error {
	runtime.LockOSThread()
	return errors.ErrUnsupported
}
