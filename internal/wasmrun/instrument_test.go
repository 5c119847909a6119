package wasmrun

import (
	"bytes"
	"context"
	"errors"
	"math"
	"testing"

	"github.com/tetratelabs/wazero"
)

func TestLEB(t *testing.T) {
	for _, v := range []uint32{0, 1, 63, 64, 127, 128, 16383, 16384, math.MaxUint32} {
		r := &reader{b: appendU32(nil, v)}
		if got, err := r.u32(); err != nil || got != v || !r.done() {
			t.Errorf("u32 %d: got %d, %v", v, got, err)
		}
	}
	for _, v := range []int64{0, 1, -1, 63, 64, -64, -65, math.MaxInt64, math.MinInt64} {
		b := appendS64(nil, v)
		r := &reader{b: b}
		if err := r.skipSigned(64); err != nil || !r.done() {
			t.Errorf("s64 %d (%x): %v, %d of %d bytes", v, b, err, r.off, len(b))
		}
	}
	bad := []struct {
		name string
		b    []byte
	}{
		{"truncated", []byte{0x80}},
		{"too long", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}},
		{"over 32 bits", []byte{0xff, 0xff, 0xff, 0xff, 0x1f}},
	}
	for _, c := range bad {
		if _, err := (&reader{b: c.b}).u32(); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want malformed", c.name, err)
		}
	}
}

// TestInstrumentShape checks what the rewrite adds and drops.
func TestInstrumentShape(t *testing.T) {
	bin := append(EchoModule(), 0, 5, 4, 'n', 'a', 'm', 'e') // a custom section
	out, err := Instrument(bin, DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	secs, err := splitSections(out)
	if err != nil {
		t.Fatalf("instrumented module does not parse: %v", err)
	}
	if bytes.Contains(out, []byte("name")) {
		t.Error("custom section kept")
	}
	for _, name := range []string{FuelExport, StackExport, StopExport} {
		if !bytes.Contains(secs[secExport], []byte(name)) {
			t.Errorf("export %q missing", name)
		}
	}
	if _, err := Instrument(out, DefaultLimits()); !errors.Is(err, ErrABI) {
		t.Errorf("instrumenting twice: err = %v, want ErrABI (reserved names)", err)
	}
}

func TestInstrumentLimits(t *testing.T) {
	bad := DefaultLimits()
	bad.Fuel = 1 << 63
	if _, err := Instrument(EchoModule(), bad); err == nil {
		t.Error("fuel of 2^63 accepted")
	}
	tooBig := variant(func(m *wasmModule) { m.raw = map[byte][]byte{secTable: {1, 0x70, 0x00, 0x80, 0x80, 0x08}} })
	if _, err := Instrument(tooBig, DefaultLimits()); !errors.Is(err, ErrLimit) {
		t.Errorf("table of 131072 elements: err = %v, want ErrLimit", err)
	}
}

func fuzzSeeds(f *testing.F) {
	for _, seed := range [][]byte{EchoModule(), SumModule(), LoopForeverModule(), nanModule,
		tableGrowModule(1), globalModule(), fillModule(8), recursionModule, calleeLoopModule(), []byte("\x00asm")} {
		f.Add(seed)
	}
}

var sentinels = []error{ErrModuleTooLarge, ErrMalformed, ErrUnsupportedFeature, ErrImports, ErrABI, ErrLimit}

// FuzzInstrument: arbitrary bytes never panic, every error is one of the
// sentinels, and a successful rewrite parses again.
func FuzzInstrument(f *testing.F) {
	fuzzSeeds(f)
	lim := DefaultLimits()
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Instrument(data, lim)
		if err != nil {
			for _, s := range sentinels {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error wraps no sentinel: %v", err)
		}
		if _, err := splitSections(out); err != nil {
			t.Fatalf("instrumented module does not parse: %v", err)
		}
	})
}

// FuzzInstrumentCompiles: wazero accepts the rewrite of a module exactly
// when it accepts the module (custom sections, which the rewrite drops,
// aside), so the instrumenter neither breaks a valid module nor makes an
// invalid one valid (say, by giving meaning to an index past its end).
func FuzzInstrumentCompiles(f *testing.F) {
	fuzzSeeds(f)
	lim := DefaultLimits()
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := Instrument(data, lim)
		if err != nil {
			return
		}
		secs, err := splitSections(data)
		if err != nil {
			t.Fatalf("Instrument accepted what splitSections refuses: %v", err)
		}
		rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCoreFeatures(features))
		defer rt.Close(ctx)
		_, origErr := rt.CompileModule(ctx, joinSections(secs))
		_, outErr := rt.CompileModule(ctx, out)
		if (origErr == nil) != (outErr == nil) {
			t.Fatalf("original compiles: %v; rewrite compiles: %v", origErr, outErr)
		}
	})
}
