package wasmrun

import (
	"context"
	"errors"
	"testing"
)

// withFunctions returns the ABI module plus n functions () -> () with the
// given body (locals declaration included).
func withFunctions(n int, body []byte) []byte {
	m := abiModule(nil, packResult(0, 1))
	m.types = append(m.types, funcType{})
	secs, _ := splitSections(m.bytes())
	fn := appendU32(nil, uint32(2+n))
	fn = append(fn, 0, 1)
	for range n {
		fn = append(fn, 2)
	}
	secs[secFunction] = fn
	r, count, _ := vecReader(secs[secCode])
	code := appendU32(nil, count+uint32(n))
	code = append(code, r.b[r.off:]...)
	for range n {
		code = appendVec(code, body)
	}
	secs[secCode] = code
	return joinSections(secs)
}

// The engine's compiler allocates for every local and every function of a
// module whatever the fuel: a few bytes declaring 50,000 locals, repeated,
// took gigabytes. Past the module-wide bounds a module is refused before
// it is compiled; at them it runs.
func TestModuleWideBounds(t *testing.T) {
	fiftyK := []byte{1, 0xd0, 0x86, 0x03, i64, opEnd} // 50,000 i64 locals; end
	empty := []byte{0, opEnd}
	// f32.const 0, then n f32.sqrt (one byte each, seven instructions once
	// NaNs are canonicalised), drop.
	sqrts := func(n int) []byte {
		b := []byte{0, 0x43, 0, 0, 0, 0}
		for range n {
			b = append(b, 0x91)
		}
		return append(b, 0x1a, opEnd)
	}
	for _, c := range []struct {
		name string
		mod  []byte
		want error
	}{
		{"locals at the bound", withFunctions(maxModuleLocals/50_000, fiftyK), nil},
		{"locals past the bound", withFunctions(maxModuleLocals/50_000+1, fiftyK), ErrLimit},
		{"functions past the bound", withFunctions(maxFunctions, empty), ErrLimit},
		{"many functions under the bound", withFunctions(1000, empty), nil},
		{"code past the bound", withFunctions(1, sqrts(1<<20)), ErrLimit},
		{"code past the bound, spread over functions", withFunctions(64, sqrts(1<<14)), ErrLimit},
		{"code under the bound", withFunctions(1, sqrts(20_000)), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, _, err := Run(context.Background(), c.mod, []byte("hi"), DefaultLimits())
			if c.want == nil {
				if err != nil || string(out) != "hi" {
					t.Fatalf("run: %q, %v", out, err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("run: %v, want %v", err, c.want)
			}
		})
	}
}
