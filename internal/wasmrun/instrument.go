package wasmrun

import "fmt"

// Names of the globals the instrumenter exports so the runner can read
// them after a trap (fuel, stack) or interrupt a run (stop). A module may
// not export these names itself.
const (
	FuelExport  = "lazchain_fuel"
	StackExport = "lazchain_stack"
	StopExport  = "lazchain_stop"
)

// Instrument returns the metered form of module under lim: the binary
// wazero actually compiles. It is a pure function of its arguments, so
// every member compiles the same code. Exported for tools and tests that
// want to inspect the rewrite; Run calls it.
func Instrument(module []byte, lim Limits) ([]byte, error) {
	if err := lim.validate(); err != nil {
		return nil, err
	}
	if len(module) > lim.MaxModule {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrModuleTooLarge, len(module), lim.MaxModule)
	}
	secs, err := splitSections(module)
	if err != nil {
		return nil, err
	}
	if err := rejectSections(secs); err != nil {
		return nil, err
	}
	l, err := readLayout(secs)
	if err != nil {
		return nil, err
	}
	if err := checkSegments(secs, l); err != nil {
		return nil, err
	}
	if err := clampSections(secs, lim); err != nil {
		return nil, err
	}
	g, err := addGlobals(secs, int64(lim.Fuel), l)
	if err != nil {
		return nil, err
	}
	if err := addExports(secs, g, l); err != nil {
		return nil, err
	}
	if err := instrumentCode(secs, g, l); err != nil {
		return nil, err
	}
	return joinSections(secs), nil
}

func rejectSections(secs map[byte][]byte) error {
	if body, ok := secs[secImport]; ok {
		if err := checkImports(body); err != nil {
			return err
		}
	}
	if _, ok := secs[secStart]; ok {
		return fmt.Errorf("%w: a start function (the only entry points are alloc and run)", ErrABI)
	}
	if _, ok := secs[secTag]; ok {
		return fmt.Errorf("%w: tag section (exception handling)", ErrUnsupportedFeature)
	}
	return nil
}

func clampSections(secs map[byte][]byte, lim Limits) error {
	if body, ok := secs[secMemory]; ok {
		b, err := clampLimits(body, lim.MemoryPages, "memory", false)
		if err != nil {
			return err
		}
		secs[secMemory] = b
	}
	if body, ok := secs[secTable]; ok {
		b, err := clampLimits(body, MaxTableElements, "table", true)
		if err != nil {
			return err
		}
		secs[secTable] = b
	}
	return nil
}

// addGlobals appends the fuel, stack, stop and next globals after the module's own,
// so no existing global index moves (the module imports none).
func addGlobals(secs map[byte][]byte, fuel int64, l layout) (meter, error) {
	r, n, err := vecReader(secs[secGlobal])
	if secs[secGlobal] == nil {
		err = nil
	}
	if err != nil {
		return meter{}, err
	}
	if n > 1<<20 {
		return meter{}, fmt.Errorf("%w: %d globals", ErrLimit, n)
	}
	start := r.off
	for i := uint32(0); i < n; i++ {
		if err := l.skipGlobal(r); err != nil {
			return meter{}, err
		}
	}
	if err := endOf(r); err != nil {
		return meter{}, err
	}
	out := appendU32(nil, n+4)
	out = append(out, r.b[start:]...)
	out = appendS64(append(out, i64, 0x01, opI64Const), fuel) // fuel: mutable i64 = lim.Fuel
	out = append(out, opEnd, i64, 0x01, opI64Const, 0, opEnd) // stack: mutable i64 = 0
	out = append(out, i32, 0x01, 0x41, 0, opEnd)              // stop: mutable i32 = 0
	out = appendS64(append(out, i64, 0x01, opI64Const), nextYield(fuel))
	secs[secGlobal] = append(out, opEnd) // next: mutable i64, see slow.go
	return meter{fuel: n, stack: n + 1, stop: n + 2, next: n + 3}, nil
}

// skipGlobal reads one global: value type, mutability, constant
// expression. Entries are parsed, not just copied, so that a count that
// disagrees with the entries is rejected here rather than re-read
// differently once ours are appended.
func (l layout) skipGlobal(r *reader) error {
	t, err := r.byte()
	if err != nil {
		return err
	}
	if err := checkValType(t); err != nil {
		return err
	}
	if _, err := r.byte(); err != nil {
		return err
	}
	return l.constExpr(r)
}

// addExports exports the added globals, refusing a module that already
// uses their names.
func addExports(secs map[byte][]byte, g meter, l layout) error {
	r, n, err := vecReader(secs[secExport])
	if secs[secExport] == nil {
		err = nil
	}
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		name, err := r.name()
		if err != nil {
			return err
		}
		if name == FuelExport || name == StackExport || name == StopExport {
			return fmt.Errorf("%w: the module exports the reserved name %q", ErrABI, name)
		}
		if err := l.export(r); err != nil {
			return err
		}
	}
	if err := endOf(r); err != nil {
		return err
	}
	out := append(appendU32(nil, n+3), r.b[countLen(r.b):]...)
	out = appendU32(append(appendVec(out, []byte(FuelExport)), 0x03), g.fuel)
	out = appendU32(append(appendVec(out, []byte(StackExport)), 0x03), g.stack)
	out = appendU32(append(appendVec(out, []byte(StopExport)), 0x03), g.stop)
	secs[secExport] = out
	return nil
}

// export reads an export's kind and index, bounding function and global
// indices (the spaces the instrumenter appends to).
func (l layout) export(r *reader) error {
	kind, err := r.byte()
	if err != nil {
		return err
	}
	idx, err := r.u32()
	if err != nil {
		return err
	}
	sp := map[byte]space{0: funcIndex, 3: globalIndex}[kind]
	return l.check(instr{space: sp, idx: idx}, 0)
}

// countLen is the length of the LEB128 vector count at the start of b.
func countLen(b []byte) int {
	r := &reader{b: b}
	if _, err := r.u32(); err != nil {
		return len(b)
	}
	return r.off
}
