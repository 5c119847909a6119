package wasmrun

import "fmt"

// layout is what the instrumenter knows of the module's index spaces
// before it appends its own types, functions, globals and locals.
//
// Every index the module uses is checked against it. A module that
// refers past its own entries is invalid, but once the instrumenter has
// appended to the same space the reference would name the fuel global,
// the slow path or a scratch local, and validate: a module could refill
// its own fuel. So out-of-range indices are refused here, before they
// can become valid.
type layout struct {
	params  []uint32 // parameter count of each type
	funcs   []uint32 // type index of each function
	globals uint32
}

func readLayout(secs map[byte][]byte) (layout, error) {
	var l layout
	var err error
	if body, ok := secs[secType]; ok {
		if l.params, err = paramCounts(body); err != nil {
			return l, err
		}
	}
	if body, ok := secs[secFunction]; ok {
		if l.funcs, err = functionTypes(body, len(l.params)); err != nil {
			return l, err
		}
	}
	if body, ok := secs[secGlobal]; ok {
		if _, l.globals, err = vecReader(body); err != nil {
			return l, err
		}
	}
	return l, nil
}

// check bounds the index an instruction refers to; locals is the
// function's parameter and local count.
func (l layout) check(in instr, locals uint32) error {
	var n uint32
	var name string
	switch in.space {
	case noIndex:
		return nil
	case localIndex:
		n, name = locals, "local"
	case globalIndex:
		n, name = l.globals, "global"
	case funcIndex:
		n, name = uint32(len(l.funcs)), "function"
	case typeIndex:
		n, name = uint32(len(l.params)), "type"
	}
	if in.idx >= n {
		return fmt.Errorf("%w: %s index %d, the module has %d", ErrMalformed, name, in.idx, n)
	}
	return nil
}

// constExpr reads a constant expression up to its end, bounding the
// globals and functions it refers to.
func (l layout) constExpr(r *reader) error {
	for {
		in, err := r.next()
		if err != nil || in.op == opEnd {
			return err
		}
		if err := l.check(in, 0); err != nil {
			return err
		}
	}
}
