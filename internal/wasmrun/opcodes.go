package wasmrun

import (
	"fmt"
	"math"
)

// Opcodes the instrumenter treats specially.
const (
	opUnreachable  = 0x00
	opBlock        = 0x02
	opLoop         = 0x03
	opIf           = 0x04
	opElse         = 0x05
	opEnd          = 0x0b
	opCall         = 0x10
	opCallIndirect = 0x11
	opSelect       = 0x1b
	opLocalGet     = 0x20
	opLocalTee     = 0x22
	opGlobalGet    = 0x23
	opGlobalSet    = 0x24
	opMemoryGrow   = 0x40
	opI64Const     = 0x42
	opF32Const     = 0x43
	opF64Const     = 0x44
	opI64LtS       = 0x53
	opI64GtS       = 0x55
	opF32Eq        = 0x5b
	opF64Eq        = 0x61
	opI32Or        = 0x72
	opI64Add       = 0x7c
	opI64Sub       = 0x7d
	opI64ShrU      = 0x88
	opI64ExtendU   = 0xad
	opPrefixFC     = 0xfc
	blockTypeEmpty = 0x40
)

// Sub-opcodes after 0xFC (saturating truncation, bulk memory, tables).
const (
	fcMemoryInit = 8
	fcMemoryCopy = 10
	fcMemoryFill = 11
	fcTableInit  = 12
	fcTableCopy  = 14
	fcTableGrow  = 15
	fcTableFill  = 17
)

// space is an index space an immediate refers to.
type space byte

const (
	noIndex space = iota
	localIndex
	globalIndex
	funcIndex
	typeIndex
)

// instr is one decoded instruction: its opcode, the 0xFC sub-opcode if
// any, its byte range in the function body, and the local, global,
// function or type index it refers to, if any (see layout.check).
type instr struct {
	op         byte
	sub        uint32
	start, end int
	space      space
	idx        uint32
}

// next decodes one instruction, skipping its immediates. The immediate
// layout of every accepted opcode is here; an opcode from a proposal the
// sandbox does not meter is ErrUnsupportedFeature, an unknown one is
// ErrMalformed.
func (r *reader) next() (instr, error) {
	in := instr{start: r.off}
	op, err := r.byte()
	if err != nil {
		return in, err
	}
	in.op = op
	if op == opPrefixFC {
		in.sub, err = r.fcImmediates()
	} else {
		err = r.immediates(&in)
	}
	in.end = r.off
	return in, err
}

// indexSpaces is the index space of each opcode whose first immediate is
// an index the instrumenter must bound.
var indexSpaces = map[byte]space{
	opLocalGet: localIndex, 0x21: localIndex, opLocalTee: localIndex,
	opGlobalGet: globalIndex, opGlobalSet: globalIndex,
	opCall: funcIndex, 0xd2: funcIndex, opCallIndirect: typeIndex,
}

func (r *reader) immediates(in *instr) error {
	op := in.op
	switch {
	case op == 0x00 || op == 0x01 || op == opElse || op == opEnd || op == 0x0f,
		op == 0x1a || op == opSelect || op == 0xd1,
		op >= 0x45 && op <= 0xc4: // numeric and sign-extension ops
		return nil
	case op >= opBlock && op <= opIf:
		return r.blockType(in)
	case op == 0x0c || op == 0x0d || op == opCall || op == 0xd2,
		op >= opLocalGet && op <= opGlobalSet, op == 0x25 || op == 0x26:
		idx, err := r.u32()
		in.space, in.idx = indexSpaces[op], idx
		return err
	case op == 0x0e:
		return r.brTable()
	case op == opCallIndirect: // type index, table index
		idx, err := r.u32()
		in.space, in.idx = typeIndex, idx
		if err != nil {
			return err
		}
		_, err = r.u32()
		return err
	case op == 0x1c: // typed select
		return r.typedSelect()
	case op >= 0x28 && op <= 0x3e:
		return r.u32s(2) // memarg: alignment, offset
	case op == 0x3f || op == opMemoryGrow, op == 0xd0:
		_, err := r.byte() // memory index 0 / reference type
		return err
	case op == 0x41:
		return r.skipSigned(32)
	case op == opI64Const:
		return r.skipSigned(64)
	case op == opF32Const:
		_, err := r.bytes(4)
		return err
	case op == opF64Const:
		_, err := r.bytes(8)
		return err
	}
	if name := unsupportedOp(op); name != "" {
		return fmt.Errorf("%w: %s (opcode 0x%02x at byte %d)", ErrUnsupportedFeature, name, op, r.off-1)
	}
	return r.errf("unknown opcode 0x%02x", op)
}

func unsupportedOp(op byte) string {
	switch {
	case op >= 0x06 && op <= 0x0a, op == 0x18 || op == 0x19 || op == 0x1f:
		return "exception handling"
	case op >= 0x12 && op <= 0x15:
		return "tail calls / typed function references"
	case op >= 0xd3 && op <= 0xd6, op == 0xfb:
		return "GC / typed function references"
	case op == 0xfd:
		return "SIMD"
	case op == 0xfe:
		return "threads"
	}
	return ""
}

func (r *reader) fcImmediates() (uint32, error) {
	sub, err := r.u32()
	if err != nil {
		return 0, err
	}
	switch {
	case sub <= 7, sub == 9 || sub == 13 || sub == fcTableGrow || sub == 16 || sub == fcTableFill:
		if sub > 7 {
			_, err = r.u32() // data, elem or table index
		}
	case sub == fcMemoryInit:
		if err = r.u32s(1); err == nil {
			_, err = r.byte()
		}
	case sub == fcMemoryCopy:
		_, err = r.bytes(2)
	case sub == fcMemoryFill:
		_, err = r.byte()
	case sub == fcTableInit || sub == fcTableCopy:
		err = r.u32s(2)
	default:
		err = fmt.Errorf("%w: 0xfc sub-opcode %d at byte %d", ErrUnsupportedFeature, sub, r.off)
	}
	return sub, err
}

// blockType reads a block type: 0x40 (empty), a value type (one byte,
// negative as an s33) or a type index (non-negative s33).
func (r *reader) blockType(in *instr) error {
	var v int64
	for i := 0; i < 5; i++ {
		c, err := r.byte()
		if err != nil {
			return err
		}
		v |= int64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			if c&0x40 != 0 { // negative: a value type or empty
				return nil
			}
			if v > math.MaxUint32 {
				return r.errf("block type index %d", v)
			}
			in.space, in.idx = typeIndex, uint32(v)
			return nil
		}
	}
	return r.errf("s33 LEB128 longer than 5 bytes")
}

func (r *reader) u32s(n int) error {
	for i := 0; i < n; i++ {
		if _, err := r.u32(); err != nil {
			return err
		}
	}
	return nil
}

func (r *reader) brTable() error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	if uint64(n) > uint64(len(r.b)-r.off) { // each label takes at least a byte
		return r.errf("br_table with %d labels", n)
	}
	return r.u32s(int(n) + 1)
}

func (r *reader) typedSelect() error {
	n, err := r.u32()
	if err != nil {
		return err
	}
	if n != 1 {
		return r.errf("typed select with %d types", n)
	}
	_, err = r.byte()
	return err
}
