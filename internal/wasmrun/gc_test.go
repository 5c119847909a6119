package wasmrun

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"
)

// TestTimeoutUnderGC: compiled WebAssembly cannot be preempted, so a run
// that never left native code would block every stop-the-world pause of
// the process, and the timer that should stop it with them. The run must
// still end by its timeout while another goroutine forces collections.
func TestTimeoutUnderGC(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				runtime.GC()
			}
		}
	}()
	lim := DefaultLimits()
	lim.Fuel = 1 << 62
	lim.Timeout = 20 * time.Millisecond
	for i := 0; i < 5; i++ {
		start := time.Now()
		if _, _, err := Run(context.Background(), LoopForeverModule(), nil, lim); !errors.Is(err, ErrTimeout) {
			t.Fatalf("err = %v, want timeout", err)
		}
		if elapsed := time.Since(start); elapsed > 5*time.Second {
			t.Fatalf("timeout of %v took %v", lim.Timeout, elapsed)
		}
	}
}
