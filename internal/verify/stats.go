package verify

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"math"
	"strconv"
	"strings"
)

// MaxStatStringBytes bounds the string minimum and maximum a dataset's
// statistics keep: they are the first MaxStatStringBytes bytes of the
// smallest and largest value. Truncation preserves byte order (a <= b
// implies prefix(a) <= prefix(b)), so this is exactly the prefix of the true
// minimum, and 1024 columns of 1 MiB strings cannot pin gigabytes.
const MaxStatStringBytes = 256

// Value is one non-null cell of a column of type Type; only the field for
// that type is meaningful.
type Value struct {
	Type  ColumnType
	Int   int64
	Float float64
	Str   string
	Bool  bool
}

func (v Value) String() string {
	switch v.Type {
	case TypeInt:
		return strconv.FormatInt(v.Int, 10)
	case TypeFloat:
		return strconv.FormatFloat(v.Float, 'g', -1, 64)
	case TypeString:
		return strconv.Quote(v.Str)
	case TypeBool:
		return strconv.FormatBool(v.Bool)
	}
	return "?"
}

// less orders two values of the same type: numerically for int and float,
// bytewise for string, false before true for bool.
func (v Value) less(w Value) bool {
	switch v.Type {
	case TypeInt:
		return v.Int < w.Int
	case TypeFloat:
		return v.Float < w.Float
	case TypeString:
		return v.Str < w.Str
	case TypeBool:
		return !v.Bool && w.Bool
	}
	return false
}

// ColumnStats summarises one column. HasMin is false when every row is
// null; Min and Max are then zero.
type ColumnStats struct {
	Name     string
	Type     ColumnType
	Count    uint64 // non-null cells
	Nulls    uint64 // null or missing cells
	HasMin   bool
	Min, Max Value
}

// DatasetStats is what a valid dataset verdict attests: the format, the
// schema, the row count and per-column statistics in schema order.
type DatasetStats struct {
	Format  string
	Schema  *Schema
	Rows    uint64
	Columns []ColumnStats
}

func newDatasetStats(format string, s *Schema) *DatasetStats {
	st := &DatasetStats{Format: format, Schema: s, Columns: make([]ColumnStats, len(s.Columns))}
	for i, c := range s.Columns {
		st.Columns[i] = ColumnStats{Name: c.Name, Type: c.Type}
	}
	return st
}

// rowBuf holds one parsed row, so that a row reaches the statistics only
// after every cell in it has passed its checks.
type rowBuf struct {
	vals []Value
	set  []bool // false: the cell is null or missing
	seen []bool // JSONL: the key was present, even if null
}

func newRowBuf(n int) *rowBuf {
	return &rowBuf{vals: make([]Value, n), set: make([]bool, n), seen: make([]bool, n)}
}

func (b *rowBuf) reset() {
	clear(b.set)
	clear(b.seen)
}

func (st *DatasetStats) addRow(b *rowBuf) {
	for i, set := range b.set {
		if set {
			st.add(i, b.vals[i])
		} else {
			st.Columns[i].Nulls++
		}
	}
	st.Rows++
}

func (st *DatasetStats) add(i int, v Value) {
	c := &st.Columns[i]
	c.Count++
	if v.Type == TypeFloat && v.Float == 0 {
		v.Float = 0 // -0 and 0 are one value: keep the digest free of the sign
	}
	if !c.HasMin {
		c.HasMin, c.Min, c.Max = true, keep(v), keep(v)
		return
	}
	if v.less(c.Min) {
		c.Min = keep(v)
	}
	if c.Max.less(v) {
		c.Max = keep(v)
	}
}

// keep truncates a string to MaxStatStringBytes and copies it, so the
// statistics never pin the row buffer it was sliced from.
func keep(v Value) Value {
	if v.Type == TypeString {
		if len(v.Str) > MaxStatStringBytes {
			v.Str = v.Str[:MaxStatStringBytes]
		}
		v.Str = strings.Clone(v.Str)
	}
	return v
}

// Digest is the dataset's canonical result digest: SHA-256 over
//
//	str("lazchain/verify/dataset/v1")
//	str(format)
//	u64(#columns), then per column: str(name) u8(type) u8(required)
//	u64(rows)
//	per column in schema order:
//	    str(name) u8(type) u64(count) u64(nulls) u8(hasMin)
//	    and, only if hasMin: value(min) value(max)
//
// where u8 is one byte, u64 is 8 bytes big-endian, str(s) is u64(len(s))
// followed by the bytes of s, and value(v) is by column type: int as u64
// of its two's complement; float as u64(math.Float64bits) with -0 stored
// as 0; string as str of its first MaxStatStringBytes bytes; bool as u8
// (0 false, 1 true). Type numbers are the ColumnType constants.
func (st *DatasetStats) Digest() [32]byte {
	e := newCanonEncoder()
	e.str("lazchain/verify/dataset/v1")
	e.str(st.Format)
	st.Schema.appendCanonical(e)
	e.u64(st.Rows)
	for _, c := range st.Columns {
		e.str(c.Name)
		e.u8(uint8(c.Type))
		e.u64(c.Count)
		e.u64(c.Nulls)
		e.flag(c.HasMin)
		if c.HasMin {
			e.value(c.Min)
			e.value(c.Max)
		}
	}
	return e.sum()
}

// canonEncoder writes the length-prefixed, fixed-width encoding that the
// dataset and model digests are defined over straight into a hash, so a
// large index never has to be materialised.
type canonEncoder struct {
	h   hash.Hash
	buf [8]byte
}

func newCanonEncoder() *canonEncoder { return &canonEncoder{h: sha256.New()} }

func (e *canonEncoder) u8(b uint8) { e.h.Write([]byte{b}) }

func (e *canonEncoder) flag(b bool) {
	if b {
		e.u8(1)
	} else {
		e.u8(0)
	}
}

func (e *canonEncoder) u64(x uint64) {
	binary.BigEndian.PutUint64(e.buf[:], x)
	e.h.Write(e.buf[:])
}

func (e *canonEncoder) str(s string) {
	e.u64(uint64(len(s)))
	e.h.Write([]byte(s))
}

func (e *canonEncoder) raw(b []byte) { e.h.Write(b) }

func (e *canonEncoder) value(v Value) {
	switch v.Type {
	case TypeInt:
		e.u64(uint64(v.Int))
	case TypeFloat:
		f := v.Float
		if f == 0 {
			f = 0
		}
		e.u64(math.Float64bits(f))
	case TypeString:
		e.str(v.Str)
	case TypeBool:
		e.flag(v.Bool)
	}
}

func (e *canonEncoder) sum() [32]byte {
	var d [32]byte
	e.h.Sum(d[:0])
	return d
}
