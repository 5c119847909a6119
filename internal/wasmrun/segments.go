package wasmrun

import "fmt"

// checkSegments walks the element and data sections, which the rewrite
// otherwise copies untouched. wazero sizes its allocations by the
// vector counts it reads (a 22-byte module claiming 100 million element
// segments made it allocate 7 GiB), so every count is checked against
// the bytes that follow before wazero sees the module.
func checkSegments(secs map[byte][]byte, l layout) error {
	if body, ok := secs[secElement]; ok {
		if err := eachEntry(body, l.elementSegment); err != nil {
			return fmt.Errorf("element section: %w", err)
		}
	}
	if body, ok := secs[secData]; ok {
		if err := eachEntry(body, l.dataSegment); err != nil {
			return fmt.Errorf("data section: %w", err)
		}
	}
	return nil
}

func eachEntry(body []byte, entry func(*reader) error) error {
	r, n, err := vecReader(body)
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if err := entry(r); err != nil {
			return err
		}
	}
	return endOf(r)
}

// elementSegment reads one element segment in any of its 8 encodings:
// bit 0 passive/declarative, bit 1 explicit table index (or, when
// passive, declarative), bit 2 expressions instead of function indices.
func (l layout) elementSegment(r *reader) error {
	flag, err := r.u32()
	if err != nil {
		return err
	}
	if flag > 7 {
		return r.errf("element segment flag %d", flag)
	}
	if flag&3 == 2 { // active with a table index
		if _, err := r.u32(); err != nil {
			return err
		}
	}
	if flag&1 == 0 { // active: offset expression
		if err := l.constExpr(r); err != nil {
			return err
		}
	}
	if flag&3 != 0 { // element kind or reference type
		if _, err := r.byte(); err != nil {
			return err
		}
	}
	n, err := r.u32()
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if flag&4 == 0 {
			err = l.funcRef(r)
		} else {
			err = l.constExpr(r)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// dataSegment reads one data segment: flag 0 active in memory 0, 1
// passive, 2 active with a memory index.
func (l layout) dataSegment(r *reader) error {
	flag, err := r.u32()
	if err != nil {
		return err
	}
	switch flag {
	case 2:
		if _, err := r.u32(); err != nil {
			return err
		}
		fallthrough
	case 0:
		if err := l.constExpr(r); err != nil {
			return err
		}
	case 1:
	default:
		return r.errf("data segment flag %d", flag)
	}
	n, err := r.u32()
	if err != nil {
		return err
	}
	_, err = r.bytes(n)
	return err
}

// funcRef reads a function index and bounds it.
func (l layout) funcRef(r *reader) error {
	idx, err := r.u32()
	if err != nil {
		return err
	}
	return l.check(instr{space: funcIndex, idx: idx}, 0)
}
