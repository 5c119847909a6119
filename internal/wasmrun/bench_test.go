package wasmrun

import (
	"context"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"testing"
)

// spinModule runs body in an endless loop, with the given run locals
// (after ptr, len) and memory of memMin pages. Its fuel per iteration is
// the body's weight plus 2 (br, end).
func spinModule(memMin uint32, locals, body []byte) []byte {
	m := abiModule(locals, cat([]byte{opLoop, blockTypeEmpty}, body, []byte{0x0c, 0, opEnd}, i64Const(0)))
	m.memMin = memMin
	m.types = append(m.types, funcType{})
	m.funcs = append(m.funcs, function{typ: 2})
	return m.bytes()
}

// spinCases are adversarial loops: each stresses one way an instruction
// can cost more wall time than its fuel.
var spinCases = []struct {
	name   string
	module []byte
	input  []byte
}{
	{"empty", spinModule(1, nil, nil), nil},
	{"div", spinModule(1, []byte{i64}, []byte{opLocalGet, 2, opI64Const, 0x7f, opI64Add, opLocalGet, 0, opI64ExtendU, 0x80, 0x21, 2}), nil},
	{"sqrt", spinModule(1, []byte{f64}, []byte{opLocalGet, 2, 0x9f, opLocalGet, 2, 0xa0, 0x21, 2}), nil},
	{"call", spinModule(1, nil, []byte{opCall, 2}), nil},
	{"grow0", spinModule(1, nil, []byte{0x41, 0, opMemoryGrow, 0, 0x1a}), nil},
	{"fill16MiB", spinModule(256, nil, cat([]byte{0x41, 0, 0x41, 0}, i32Const(16<<20), []byte{opPrefixFC, fcMemoryFill, 0})), nil},
	// The worst case known: 32 dependent loads per iteration, each a
	// cache and TLB miss over an 8 MiB random cycle given as input.
	{"chase8MiB", chaseModule(), chaseInput(2 << 20)},
}

// chaseModule follows the pointer at the input's start, 32 loads per
// loop iteration, forever.
func chaseModule() []byte {
	body := []byte{opLocalGet, 2}
	for range 32 {
		body = append(body, 0x28, 2, 0) // i32.load
	}
	body = append(body, 0x21, 2)
	return runModule([]byte{i32}, []byte{opLocalGet, 0, 0x21, 2, opLoop, blockTypeEmpty}, body, []byte{0x0c, 0, opEnd}, i64Const(0))
}

// chaseInput is one random cycle through slots 4-byte pointers, as
// absolute addresses of the input alloc places at inputBase.
func chaseInput(slots int) []byte {
	perm := rand.New(rand.NewPCG(1, 2)).Perm(slots)
	in := make([]byte, 4*slots)
	for i := range slots {
		from, to := perm[i], perm[(i+1)%slots]
		binary.LittleEndian.PutUint32(in[4*from:], uint32(inputBase+4*to))
	}
	return in
}

// BenchmarkFuelRate reports wall time per fuel unit for each spin case;
// DefaultLimits' Fuel/Timeout ratio must stay far above the worst.
func BenchmarkFuelRate(b *testing.B) {
	for _, c := range spinCases {
		b.Run(c.name, func(b *testing.B) {
			lim := DefaultLimits()
			lim.Fuel = 200_000_000
			if c.input != nil {
				lim.Fuel = 20_000_000
			}
			var total uint64
			for b.Loop() {
				_, used, err := Run(context.Background(), c.module, c.input, lim)
				if !errors.Is(err, ErrFuelExhausted) {
					b.Fatalf("got %v, want fuel exhausted", err)
				}
				total += used
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/fuel")
			b.ReportMetric(float64(total)/b.Elapsed().Seconds()/1e6, "Mfuel/s")
		})
	}
}
