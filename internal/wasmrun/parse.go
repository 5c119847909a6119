package wasmrun

import "fmt"

// paramCounts reads the type section: the parameter count of each type.
func paramCounts(body []byte) ([]uint32, error) {
	r, n, err := vecReader(body)
	if err != nil {
		return nil, err
	}
	counts := make([]uint32, 0, min(int(n), len(body)))
	for i := uint32(0); i < n; i++ {
		form, err := r.byte()
		if err != nil {
			return nil, err
		}
		if form != 0x60 {
			return nil, fmt.Errorf("%w: type form 0x%02x (only function types)", ErrUnsupportedFeature, form)
		}
		params, err := valTypes(r)
		if err != nil {
			return nil, err
		}
		if _, err := valTypes(r); err != nil {
			return nil, err
		}
		counts = append(counts, params)
	}
	return counts, endOf(r)
}

func valTypes(r *reader) (uint32, error) {
	n, err := r.u32()
	if err != nil {
		return 0, err
	}
	for i := uint32(0); i < n; i++ {
		t, err := r.byte()
		if err != nil {
			return 0, err
		}
		if err := checkValType(t); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// functionTypes reads the function section: the type of each function.
func functionTypes(body []byte, ntypes int) ([]uint32, error) {
	r, n, err := vecReader(body)
	if err != nil {
		return nil, err
	}
	types := make([]uint32, 0, min(int(n), len(body)))
	for i := uint32(0); i < n; i++ {
		t, err := r.u32()
		if err != nil {
			return nil, err
		}
		if int(t) >= ntypes {
			return nil, r.errf("function %d has type %d of %d", i, t, ntypes)
		}
		types = append(types, t)
	}
	return types, endOf(r)
}

// checkImports rejects any import, naming the first.
func checkImports(body []byte) error {
	r, n, err := vecReader(body)
	if err != nil || n == 0 {
		return err
	}
	mod, err1 := r.name()
	field, err2 := r.name()
	if err1 != nil || err2 != nil {
		return fmt.Errorf("%w: %d imports", ErrImports, n)
	}
	return fmt.Errorf("%w: %d imports, the first %q.%q", ErrImports, n, mod, field)
}

// name reads one length-prefixed name.
func (r *reader) name() (string, error) {
	n, err := r.u32()
	if err != nil {
		return "", err
	}
	s, err := r.bytes(n)
	return string(s), err
}

// readLimits reads a memory or table limits type. Shared (threads) and
// 64-bit limits are unsupported.
func readLimits(r *reader) (lo, hi uint32, hasMax bool, err error) {
	flag, err := r.byte()
	if err != nil {
		return 0, 0, false, err
	}
	if flag > 1 {
		return 0, 0, false, fmt.Errorf("%w: limits flag 0x%02x (shared or 64-bit memory)", ErrUnsupportedFeature, flag)
	}
	if lo, err = r.u32(); err != nil || flag == 0 {
		return lo, 0, false, err
	}
	hi, err = r.u32()
	return lo, hi, true, err
}

// clampLimits rewrites a memory or table section so that every maximum
// is at most limit (an absent maximum becomes limit). That changes only
// how far the module can grow, which it observes as a failed grow, the
// same on every member. A minimum over limit is ErrLimit.
func clampLimits(body []byte, limit uint32, what string, table bool) ([]byte, error) {
	r, n, err := vecReader(body)
	if err != nil {
		return nil, err
	}
	if !table && n > 1 {
		return nil, fmt.Errorf("%w: %d memories (multi-memory)", ErrUnsupportedFeature, n)
	}
	out := appendU32(nil, n)
	for i := uint32(0); i < n; i++ {
		if table {
			t, err := r.byte()
			if err != nil {
				return nil, err
			}
			if t != 0x70 && t != 0x6f {
				return nil, fmt.Errorf("%w: table element type 0x%02x", ErrUnsupportedFeature, t)
			}
			out = append(out, t)
		}
		lo, hi, hasMax, err := readLimits(r)
		if err != nil {
			return nil, err
		}
		if lo > limit {
			return nil, fmt.Errorf("%w: %s %d declares a minimum of %d, the limit is %d", ErrLimit, what, i, lo, limit)
		}
		if !hasMax || hi > limit {
			hi = limit
		}
		out = appendU32(appendU32(append(out, 1), lo), hi)
	}
	return out, endOf(r)
}
