package wasmrun

import "fmt"

// instrumentCode rewrites every function body in the code section.
func instrumentCode(secs map[byte][]byte, g meter, l layout) error {
	funcs := l.funcs
	code := secs[secCode]
	if code == nil {
		code = []byte{0}
	}
	r, n, err := vecReader(code)
	if err != nil {
		return err
	}
	if int(n) != len(funcs) {
		return fmt.Errorf("%w: %d functions declared, %d bodies", ErrMalformed, len(funcs), n)
	}
	if n > maxFunctions {
		return fmt.Errorf("%w: %d functions, more than %d", ErrLimit, n, maxFunctions)
	}
	if g.slow, err = addSlowPath(secs, uint32(len(l.params)), n); err != nil {
		return err
	}
	out := make([]byte, 0, len(code)+len(code)/2)
	out = appendU32(out, n+1)
	var locals uint64
	for i := range funcs {
		size, err := r.u32()
		if err != nil {
			return err
		}
		body, err := r.bytes(size)
		if err != nil {
			return err
		}
		nb, declared, err := instrumentBody(body, l.params[funcs[i]], g, l)
		if err != nil {
			return fmt.Errorf("function %d: %w", i, err)
		}
		if locals += uint64(declared); locals > maxModuleLocals {
			return fmt.Errorf("%w: functions up to %d declare more than %d locals in all", ErrLimit, i, maxModuleLocals)
		}
		out = appendVec(out, nb)
		if len(out) > maxCodeBytes {
			return fmt.Errorf("%w: functions up to %d take more than %d bytes of instrumented code", ErrLimit, i, maxCodeBytes)
		}
	}
	if err := endOf(r); err != nil {
		return err
	}
	secs[secCode] = appendVec(out, slowPath(g))
	return nil
}
