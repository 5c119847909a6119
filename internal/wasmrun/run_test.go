package wasmrun

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"
)

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
func le64(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

func TestRun(t *testing.T) {
	small := DefaultLimits()
	small.Fuel = 10_000_000
	cases := []struct {
		name    string
		module  []byte
		input   []byte
		want    []byte
		wantErr error
	}{
		{"echo", EchoModule(), []byte("hello agent"), []byte("hello agent"), nil},
		{"echo empty", EchoModule(), nil, []byte{}, nil},
		{"echo 100 KiB grows memory", EchoModule(), bytes.Repeat([]byte{7}, 100<<10), bytes.Repeat([]byte{7}, 100<<10), nil},
		{"sum", SumModule(), []byte{1, 2, 3, 250}, le64(256), nil},
		{"sum empty", SumModule(), nil, le64(0), nil},
		{"own global kept", globalModule(), nil, le64(42), nil},
		{"grow within limit", growModule(10), nil, le32(1), nil},
		{"grow beyond limit fails", growModule(300), nil, le32(0xffffffff), nil},
		{"table capped", tableGrowModule(MaxTableElements + 1), nil, le32(0xffffffff), nil},
		{"table grows", tableGrowModule(100), nil, le32(0), nil},
		{"NaN canonical", nanModule, nil, append(le64(0x7ff8000000000000), le32(0x7fc00000)...), nil},
		{"loop forever", LoopForeverModule(), nil, nil, ErrFuelExhausted},
		{"infinite recursion", recursionModule, nil, nil, ErrStackExhausted},
		{"division by zero", divZeroModule, nil, nil, ErrTrap},
		{"output out of bounds", outOfBounds, nil, nil, ErrTrap},
		{"output too large", outputTooLarge, nil, nil, ErrOutputTooLarge},
		{"imports", importModule, nil, nil, ErrImports},
		{"start function", startModule, nil, nil, ErrABI},
		{"reserved export", reservedName, nil, nil, ErrABI},
		{"no run export", noRunExport, nil, nil, ErrABI},
		{"memory over limit", bigMemory, nil, nil, ErrLimit},
		{"input over memory", EchoModule(), make([]byte, small.MaxInput()+1), nil, ErrLimit},
		// Indices one past the module's own would name what the
		// instrumenter appends: the fuel global, a scratch local, the slow
		// path, its type.
		{"refills its fuel", runModule(nil, []byte{opLoop, blockTypeEmpty}, i64Const(1<<40), []byte{opGlobalSet, 0, 0x0c, 0, opEnd}, i64Const(0)), nil, nil, ErrMalformed},
		{"reads a scratch local", runModule(nil, []byte{opLocalGet, 2, 0x1a}, i64Const(0)), nil, nil, ErrMalformed},
		{"calls the slow path", runModule(nil, []byte{opCall, 2}, i64Const(0)), nil, nil, ErrMalformed},
		{"block of the slow path's type", runModule(nil, []byte{opBlock, 2, opEnd}, i64Const(0)), nil, nil, ErrMalformed},
		{"exports the fuel global", variant(func(m *wasmModule) { m.exports = append(m.exports, export{"f", 3, 0}) }), nil, nil, ErrMalformed},
		{"garbage", []byte("not wasm at all"), nil, nil, ErrMalformed},
		{"truncated", EchoModule()[:40], nil, nil, ErrMalformed},
		{"empty", nil, nil, nil, ErrMalformed},
		// 22 bytes claiming ~100M element segments: wazero alone would
		// allocate 7 GiB for it; the instrumenter's count checks refuse it.
		{"huge element count", []byte("\x00asm\x01\x00\x00\x00\t\f\xff\xff\xff000000000"), nil, nil, ErrMalformed},
		{"too large", make([]byte, small.MaxModule+1), nil, nil, ErrModuleTooLarge},
		{"SIMD", opModule(0xfd, 0x0c), nil, nil, ErrUnsupportedFeature},
		{"threads", opModule(0xfe, 0x00), nil, nil, ErrUnsupportedFeature},
		{"exceptions", opModule(0x06, 0x40), nil, nil, ErrUnsupportedFeature},
		{"tail calls", opModule(0x12, 0x00), nil, nil, ErrUnsupportedFeature},
		{"unknown 0xfc op", opModule(0xfc, 0x20), nil, nil, ErrUnsupportedFeature},
		{"unknown opcode", opModule(0xc5), nil, nil, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, used, err := Run(context.Background(), c.module, c.input, small)
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if !bytes.Equal(out, c.want) {
				t.Fatalf("out = %x, want %x", out, c.want)
			}
			if errors.Is(err, ErrFuelExhausted) && used != small.Fuel {
				t.Fatalf("fuel used = %d, want all %d", used, small.Fuel)
			}
		})
	}
}
