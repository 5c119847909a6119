package codec

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Sentinel errors that decoders wrap; callers branch on them with errors.Is.
var (
	ErrShort    = errors.New("codec: input too short")
	ErrTooLong  = errors.New("codec: length over limit")
	ErrTrailing = errors.New("codec: trailing bytes")
	ErrVersion  = errors.New("codec: unknown version")
	ErrInvalid  = errors.New("codec: invalid value")
)

// Writer appends canonical encodings to a buffer. It never fails: the
// limits are the decoder's to enforce, and encoders only see valid values.
type Writer struct {
	buf []byte
}

// NewWriter returns a Writer whose buffer starts with capacity hint.
func NewWriter(hint int) *Writer { return &Writer{buf: make([]byte, 0, hint)} }

// Bytes returns the encoded bytes. The Writer must not be used afterwards.
func (w *Writer) Bytes() []byte { return w.buf }

func (w *Writer) U8(v uint8)   { w.buf = append(w.buf, v) }
func (w *Writer) U16(v uint16) { w.buf = binary.BigEndian.AppendUint16(w.buf, v) }
func (w *Writer) U32(v uint32) { w.buf = binary.BigEndian.AppendUint32(w.buf, v) }
func (w *Writer) U64(v uint64) { w.buf = binary.BigEndian.AppendUint64(w.buf, v) }

// Bool writes 0 or 1.
func (w *Writer) Bool(v bool) {
	if v {
		w.U8(1)
		return
	}
	w.U8(0)
}

// Fixed writes b with no length prefix; the reader must know its size.
func (w *Writer) Fixed(b []byte) { w.buf = append(w.buf, b...) }

// VarBytes writes a uint32 length and then b.
func (w *Writer) VarBytes(b []byte) {
	w.U32(uint32(len(b)))
	w.buf = append(w.buf, b...)
}

// Reader decodes what a Writer wrote. The first error sticks: later reads
// return zero values, so decoders check Err once at the end.
type Reader struct {
	buf []byte
	off int
	err error
}

// NewReader reads from b without copying it; returned slices alias b.
func NewReader(b []byte) *Reader { return &Reader{buf: b} }

// Err returns the first error met.
func (r *Reader) Err() error { return r.err }

// Fail records err unless an earlier error is already recorded.
func (r *Reader) Fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// Pos returns the read offset, to mark the start of a value.
func (r *Reader) Pos() int { return r.off }

// Span returns the bytes read since Pos returned from.
func (r *Reader) Span(from int) []byte { return r.buf[from:r.off] }

// Remaining returns the number of unread bytes.
func (r *Reader) Remaining() int { return len(r.buf) - r.off }

func (r *Reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > r.Remaining() {
		r.err = fmt.Errorf("need %d bytes at offset %d, have %d: %w", n, r.off, r.Remaining(), ErrShort)
		return nil
	}
	b := r.buf[r.off : r.off+n]
	r.off += n
	return b
}

func (r *Reader) U8() uint8 {
	b := r.take(1)
	if b == nil {
		return 0
	}
	return b[0]
}

func (r *Reader) U16() uint16 {
	b := r.take(2)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint16(b)
}

func (r *Reader) U32() uint32 {
	b := r.take(4)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

func (r *Reader) U64() uint64 {
	b := r.take(8)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// Bool accepts only 0 and 1, so that each value has one encoding.
func (r *Reader) Bool() bool {
	switch v := r.U8(); v {
	case 0:
		return false
	case 1:
		return true
	default:
		r.Fail(fmt.Errorf("bool byte %d: %w", v, ErrInvalid))
		return false
	}
}

// Fixed reads exactly n bytes.
func (r *Reader) Fixed(n int) []byte { return r.take(n) }

// VarBytes reads a length-prefixed byte string of at most max bytes. The
// length is checked before the bytes are touched.
func (r *Reader) VarBytes(max int) []byte {
	n := r.U32()
	if r.err != nil {
		return nil
	}
	if uint64(n) > uint64(max) {
		r.Fail(fmt.Errorf("length %d over limit %d: %w", n, max, ErrTooLong))
		return nil
	}
	return r.take(int(n))
}

// Count reads a uint32 element count of at most max, also bounded by the
// bytes left given each element takes at least minSize bytes. This stops a
// small message from claiming a huge count and making the decoder allocate.
func (r *Reader) Count(max, minSize int) int {
	n := r.U32()
	if r.err != nil {
		return 0
	}
	if uint64(n) > uint64(max) {
		r.Fail(fmt.Errorf("count %d over limit %d: %w", n, max, ErrTooLong))
		return 0
	}
	if minSize > 0 && uint64(n)*uint64(minSize) > uint64(r.Remaining()) {
		r.Fail(fmt.Errorf("count %d needs %d bytes, have %d: %w", n, uint64(n)*uint64(minSize), r.Remaining(), ErrShort))
		return 0
	}
	return int(n)
}

// Version reads a version byte and fails unless it equals want.
func (r *Reader) Version(want uint8) {
	if v := r.U8(); r.err == nil && v != want {
		r.Fail(fmt.Errorf("version %d, want %d: %w", v, want, ErrVersion))
	}
}

// Finish fails if bytes remain and returns the first error.
func (r *Reader) Finish() error {
	if r.err == nil && r.Remaining() != 0 {
		r.err = fmt.Errorf("%d bytes after the value: %w", r.Remaining(), ErrTrailing)
	}
	return r.err
}
