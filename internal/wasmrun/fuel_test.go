package wasmrun

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

func mustRun(t *testing.T, module, input []byte, lim Limits) ([]byte, uint64) {
	t.Helper()
	out, used, err := Run(context.Background(), module, input, lim)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return out, used
}

// TestFuelGolden pins the cost model: these numbers are part of the
// protocol, and a change to them changes verdicts. Echo: alloc's region
// is 84 units (21 instructions, memory.grow weighing 64), run's is 8.
// Sum: run's function region is 8 units, its loop region 17, entered
// len+1 times. Fill: 6 units plus one per 8 bytes filled.
func TestFuelGolden(t *testing.T) {
	lim := DefaultLimits()
	cases := []struct {
		name   string
		module []byte
		input  []byte
		want   uint64
	}{
		{"echo", EchoModule(), []byte("hello"), 92},
		{"echo 1 KiB", EchoModule(), make([]byte, 1024), 92},
		{"sum empty", SumModule(), nil, 84 + 8 + 17},
		{"sum 100", SumModule(), make([]byte, 100), 84 + 8 + 17*101},
		{"fill 0", fillModule(0), nil, 84 + 6},
		{"fill 64 KiB", fillModule(1 << 16), nil, 84 + 6 + 1<<16>>bulkMemoryShift},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, used := mustRun(t, c.module, c.input, lim); used != c.want {
				t.Fatalf("fuel used = %d, want %d", used, c.want)
			}
		})
	}
}

// TestFuelDeterministic runs the same module and input repeatedly: the
// output and the fuel must not vary, whatever the machine is doing.
func TestFuelDeterministic(t *testing.T) {
	input := bytes.Repeat([]byte("lazchain"), 4096)
	lim := DefaultLimits()
	wantOut, wantFuel := mustRun(t, SumModule(), input, lim)
	for i := 0; i < 3; i++ {
		out, used := mustRun(t, SumModule(), input, lim)
		if !bytes.Equal(out, wantOut) || used != wantFuel {
			t.Fatalf("run %d: out %x fuel %d, first run out %x fuel %d", i, out, used, wantOut, wantFuel)
		}
	}
	lim.Fuel = wantFuel - 1 // one unit short: exhausted, deterministically
	if _, used, err := Run(context.Background(), SumModule(), input, lim); !errors.Is(err, ErrFuelExhausted) || used != lim.Fuel {
		t.Fatalf("with one unit less: err %v used %d", err, used)
	}
}

// TestLoopForeverStops: an endless loop ends by fuel, not by the wall
// clock's backstop, and the next run is unaffected.
func TestLoopForeverStops(t *testing.T) {
	lim := DefaultLimits()
	lim.Fuel = 10_000_000
	_, used, err := Run(context.Background(), LoopForeverModule(), nil, lim)
	if !errors.Is(err, ErrFuelExhausted) || used != lim.Fuel {
		t.Fatalf("err %v used %d, want fuel exhausted after %d", err, used, lim.Fuel)
	}
	if out, _ := mustRun(t, EchoModule(), []byte("after"), lim); string(out) != "after" {
		t.Fatalf("echo after exhaustion = %q", out)
	}
}

// TestTimeoutBackstop: with fuel that would last minutes, the wall clock
// stops the run through the stop flag, and reports it as not
// deterministic; a cancelled parent context is reported as itself.
func TestTimeoutBackstop(t *testing.T) {
	lim := DefaultLimits()
	lim.Fuel = 1 << 62
	lim.Timeout = 50 * time.Millisecond
	start := time.Now()
	_, _, err := Run(context.Background(), LoopForeverModule(), nil, lim)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want timeout", err)
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("timeout of %v took %v", lim.Timeout, elapsed)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	lim.Timeout = time.Minute
	if _, _, err := Run(ctx, calleeLoopModule(), nil, lim); !errors.Is(err, context.Canceled) || errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// calleeLoopModule spins in a function that run calls, calling another
// in every iteration: the stop flag must be seen inside callees too.
func calleeLoopModule() []byte {
	m := abiModule(nil, cat([]byte{opCall, 2}, i64Const(0)))
	m.types = append(m.types, funcType{})
	m.funcs = append(m.funcs,
		function{typ: 2, code: []byte{opLoop, blockTypeEmpty, opCall, 3, 0x0c, 0, opEnd}},
		function{typ: 2})
	return m.bytes()
}
