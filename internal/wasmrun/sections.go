package wasmrun

import (
	"bytes"
	"fmt"
)

// Section ids, and the order the binary format requires them in.
const (
	secType     = 1
	secImport   = 2
	secFunction = 3
	secTable    = 4
	secMemory   = 5
	secGlobal   = 6
	secExport   = 7
	secStart    = 8
	secElement  = 9
	secCode     = 10
	secData     = 11
	secCount    = 12
	secTag      = 13
)

var sectionOrder = []byte{secType, secImport, secFunction, secTable, secMemory, secTag,
	secGlobal, secExport, secStart, secElement, secCount, secCode, secData}

func sectionRank(id byte) int { return bytes.IndexByte(sectionOrder, id) }

var wasmHeader = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

// splitSections checks the header and returns the non-custom sections by
// id. Custom sections are dropped: they carry names and debug info whose
// code offsets instrumentation would make stale, and nothing needs them.
func splitSections(bin []byte) (map[byte][]byte, error) {
	if len(bin) < 8 || !bytes.Equal(bin[:4], wasmHeader[:4]) {
		return nil, fmt.Errorf("%w: no \\0asm magic", ErrMalformed)
	}
	if !bytes.Equal(bin[4:8], wasmHeader[4:]) {
		return nil, fmt.Errorf("%w: binary version %x (only core WebAssembly 1 is accepted)", ErrUnsupportedFeature, bin[4:8])
	}
	r := &reader{b: bin, off: 8}
	secs := map[byte][]byte{}
	last := -1
	for !r.done() {
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		body, err := r.bytes(size)
		if err != nil {
			return nil, err
		}
		if id == 0 {
			continue
		}
		rank := sectionRank(id)
		if rank < 0 {
			return nil, r.errf("unknown section id %d", id)
		}
		if rank <= last {
			return nil, r.errf("section %d out of order or repeated", id)
		}
		last = rank
		secs[id] = body
	}
	return secs, nil
}

// joinSections writes the sections back in the required order.
func joinSections(secs map[byte][]byte) []byte {
	n := len(wasmHeader)
	for _, body := range secs {
		n += len(body) + 6
	}
	out := append(make([]byte, 0, n), wasmHeader...)
	for _, id := range sectionOrder {
		if body, ok := secs[id]; ok {
			out = appendVec(append(out, id), body)
		}
	}
	return out
}

// vecReader starts reading a section that is a vector of entries.
func vecReader(body []byte) (*reader, uint32, error) {
	r := &reader{b: body}
	n, err := r.u32()
	return r, n, err
}

// endOf checks that a section has no bytes after its last entry.
func endOf(r *reader) error {
	if !r.done() {
		return r.errf("%d bytes after the section's entries", len(r.b)-r.off)
	}
	return nil
}

func checkValType(t byte) error {
	switch t {
	case 0x7f, 0x7e, 0x7d, 0x7c, 0x70, 0x6f: // i32 i64 f32 f64 funcref externref
		return nil
	case 0x7b:
		return fmt.Errorf("%w: SIMD value type v128", ErrUnsupportedFeature)
	case 0x63, 0x64:
		return fmt.Errorf("%w: typed reference value type", ErrUnsupportedFeature)
	}
	return fmt.Errorf("%w: unknown value type 0x%02x", ErrMalformed, t)
}
