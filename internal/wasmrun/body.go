package wasmrun

import "fmt"

// meter holds the indices of what the instrumenter adds: the fuel,
// stack, stop and next-yield globals, and the slow-path function.
type meter struct{ fuel, stack, stop, next, slow uint32 }

// scratch are the locals the instrumenter appends to every function,
// after its parameters and declared locals so no existing index moves.
type scratch struct{ saved, n32, f32, f64 uint32 }

// scratchDecl declares them: one i64, one i32, one f32, one f64.
var scratchDecl = []byte{1, 0x7e, 1, 0x7f, 1, 0x7d, 1, 0x7c}

// regions is the result of the first pass over a function body: the
// fuel cost of each metered region (0 the function entry, k > 0 the body
// of the k-th loop in textual order) and the instruction count. A region
// is the code that can run once per entry: inside it control only moves
// forward, because the only backward jump in WebAssembly is a branch to
// a loop, which re-enters that loop's region. Two passes keep memory at
// one number per loop rather than one record per instruction.
type regions struct {
	cost   []int64
	instrs int64
}

func measure(r *reader, l layout, locals uint32) (regions, error) {
	m := regions{cost: []int64{0}}
	open := []int{0} // innermost region on top
	var loops []bool // open blocks: true for a loop
	for {
		in, err := r.next()
		if err != nil {
			return m, err
		}
		if err := l.check(in, locals); err != nil {
			return m, err
		}
		m.cost[open[len(open)-1]] += weight(in)
		m.instrs++
		switch in.op {
		case opBlock, opIf:
			loops = append(loops, false)
		case opLoop:
			loops = append(loops, true)
			open = append(open, len(m.cost))
			m.cost = append(m.cost, 0)
		case opEnd:
			if len(loops) == 0 {
				if !r.done() {
					return m, r.errf("bytes after the function's final end")
				}
				return m, nil
			}
			if loops[len(loops)-1] {
				open = open[:len(open)-1]
			}
			loops = loops[:len(loops)-1]
		}
	}
}

// readLocals returns the number of local groups, of locals, and the raw
// group declarations.
func readLocals(r *reader) (groups, n uint32, decl []byte, err error) {
	if groups, err = r.u32(); err != nil {
		return 0, 0, nil, err
	}
	declStart := r.off
	var total uint64
	for i := uint32(0); i < groups; i++ {
		c, err := r.u32()
		if err != nil {
			return 0, 0, nil, err
		}
		t, err := r.byte()
		if err != nil {
			return 0, 0, nil, err
		}
		if err := checkValType(t); err != nil {
			return 0, 0, nil, err
		}
		if total += uint64(c); total > maxLocals {
			return 0, 0, nil, fmt.Errorf("%w: function declares more than %d locals", ErrLimit, maxLocals)
		}
	}
	return groups, uint32(total), r.b[declStart:r.off], nil
}

// instrumentBody rewrites one function body (without its size prefix);
// it also returns how many locals the body declares.
func instrumentBody(body []byte, params uint32, g meter, l layout) ([]byte, uint32, error) {
	r := &reader{b: body}
	groups, locals, decl, err := readLocals(r)
	if err != nil {
		return nil, 0, err
	}
	codeStart := r.off
	m, err := measure(r, l, params+locals)
	if err != nil {
		return nil, 0, err
	}
	first := params + locals
	s := scratch{saved: first, n32: first + 1, f32: first + 2, f64: first + 3}
	out := make([]byte, 0, len(body)+len(body)/2+64)
	out = appendU32(out, groups+4)
	out = append(append(out, decl...), scratchDecl...)
	out = chargeFuel(out, g, m.cost[0])
	out = enterFrame(out, g, s, frameBase+int64(params)+int64(locals)+m.instrs)
	r.off = codeStart // second pass: measure has validated the body
	for loop := 1; !r.done(); {
		in, _ := r.next()
		if shift, ok := dynamicShift(in); ok {
			out = chargeOperand(out, g, s, shift)
		}
		out = append(out, body[in.start:in.end]...)
		switch {
		case in.op == opLoop:
			out = chargeFuel(out, g, m.cost[loop])
			loop++
		case in.op == opCall || in.op == opCallIndirect:
			out = leaveCall(out, g, s)
		case nanKind(in.op) != 0:
			out = canonNaN(out, s, nanKind(in.op))
		}
	}
	return out, locals, nil
}

// trapIf appends: if (top of stack) { unreachable }.
func trapIf(b []byte) []byte { return append(b, opIf, blockTypeEmpty, opUnreachable, opEnd) }

// chargeFuel appends: fuel -= cost, then checkFuel.
func chargeFuel(b []byte, g meter, cost int64) []byte {
	b = appendU32(append(b, opGlobalGet), g.fuel)
	b = appendS64(append(b, opI64Const), cost)
	b = appendU32(append(b, opI64Sub, opGlobalSet), g.fuel)
	return checkFuel(b, g)
}

// checkFuel appends: if fuel < next { slow() }. The fast path is one
// comparison; slowPath (slow.go) traps on exhaustion or a stop request
// and yields to the Go scheduler.
func checkFuel(b []byte, g meter) []byte {
	b = appendU32(append(b, opGlobalGet), g.fuel)
	b = appendU32(append(b, opGlobalGet), g.next)
	b = appendU32(append(b, opI64LtS, opIf, blockTypeEmpty, opCall), g.slow)
	return append(b, opEnd)
}

// chargeOperand appends: fuel -= (u64)top >> shift, leaving top in place.
func chargeOperand(b []byte, g meter, s scratch, shift uint8) []byte {
	b = appendU32(append(b, opLocalTee), s.n32)
	b = appendU32(append(b, opGlobalGet), g.fuel)
	b = appendU32(append(b, opLocalGet), s.n32)
	b = append(b, opI64ExtendU, opI64Const, shift, opI64ShrU, opI64Sub)
	b = appendU32(append(b, opGlobalSet), g.fuel)
	return checkFuel(b, g)
}

// enterFrame appends: saved = stack += frame; if saved > stackLimit { unreachable }.
func enterFrame(b []byte, g meter, s scratch, frame int64) []byte {
	b = appendU32(append(b, opGlobalGet), g.stack)
	b = appendS64(append(b, opI64Const), frame)
	b = appendU32(append(b, opI64Add, opLocalTee), s.saved)
	b = appendU32(append(b, opGlobalSet), g.stack)
	b = appendU32(append(b, opLocalGet), s.saved)
	b = appendS64(append(b, opI64Const), stackLimit)
	return trapIf(append(b, opI64GtS))
}

// leaveCall appends: stack = saved, popping the callee's frames.
func leaveCall(b []byte, g meter, s scratch) []byte {
	b = appendU32(append(b, opLocalGet), s.saved)
	return appendU32(append(b, opGlobalSet), g.stack)
}

// canonNaN replaces a NaN on top of the stack by the canonical NaN:
// x == x ? x : NaN, branch-free with select.
func canonNaN(b []byte, s scratch, bits int) []byte {
	if bits == 32 {
		b = appendU32(append(b, opLocalTee), s.f32)
		b = append(b, opF32Const, 0x00, 0x00, 0xc0, 0x7f) // 0x7fc00000
		b = appendU32(append(b, opLocalGet), s.f32)
		b = appendU32(append(b, opLocalGet), s.f32)
		return append(b, opF32Eq, opSelect)
	}
	b = appendU32(append(b, opLocalTee), s.f64)
	b = append(b, opF64Const, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f) // 0x7ff8000000000000
	b = appendU32(append(b, opLocalGet), s.f64)
	b = appendU32(append(b, opLocalGet), s.f64)
	return append(b, opF64Eq, opSelect)
}
