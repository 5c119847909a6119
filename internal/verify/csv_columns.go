package verify

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"unicode/utf8"
)

// csvColumn checks one column's cells and keeps its statistics in the
// column's own type, so a cell costs no Value and a string cell is copied
// only when it becomes the new minimum or maximum. It ends up exactly as
// DatasetStats.add would leave the column's ColumnStats.
type csvColumn struct {
	name     string
	typ      ColumnType
	required bool

	// The current row's cell, held until every cell in the row has passed.
	set bool
	num int64   // int; bool as 0 or 1
	f   float64 // float
	str []byte  // string, aliasing the scanner's buffer

	count, nulls uint64
	has          bool
	minN, maxN   int64 // int and bool
	minF, maxF   float64
	minS, maxS   []byte // first MaxStatStringBytes bytes, owned
	minK, maxK   uint64 // prefixKey of minS and maxS
}

func newCSVColumns(schema *Schema) []csvColumn {
	cols := make([]csvColumn, len(schema.Columns))
	for i, c := range schema.Columns {
		cols[i] = csvColumn{name: c.Name, typ: c.Type, required: c.Required}
	}
	return cols
}

// parseCSVRow checks one record's fields against cols and holds their
// values in cols; nothing reaches the statistics until commitCSVRow.
// ascii says every field is ASCII, so valid UTF-8 without a look.
func parseCSVRow(cols []csvColumn, fields [][]byte, ascii bool) error {
	if len(fields) != len(cols) {
		return fmt.Errorf("%d fields, want %d (one per column)", len(fields), len(cols))
	}
	for i := range cols {
		if err := cols[i].parse(fields[i], ascii); err != nil {
			return err
		}
	}
	return nil
}

func commitCSVRow(cols []csvColumn) {
	for i := range cols {
		cols[i].commit()
	}
}

// parse reads one field; empty is null.
func (c *csvColumn) parse(b []byte, ascii bool) error {
	c.set = len(b) > 0
	if !c.set {
		if c.required {
			return fmt.Errorf("column %s: required value is empty", quoteCell(c.name))
		}
		return nil
	}
	ok := false
	switch c.typ {
	case TypeInt:
		c.num, ok = parseInt(b)
	case TypeFloat:
		c.f, ok = parseFloat(b)
	case TypeString:
		c.str, ok = b, ascii || utf8.Valid(b)
	case TypeBool:
		c.num, ok = parseBool(b)
	}
	if !ok {
		// parseText has the words for every rejected cell; it runs only
		// on the row that ends the scan.
		_, err := parseText(c.typ, string(b))
		return fmt.Errorf("column %s: %w", quoteCell(c.name), err)
	}
	return nil
}

// commit adds the held cell to the statistics, as DatasetStats.add does:
// the first value sets both bounds, later ones are compared with the kept
// (for strings: truncated) bounds.
func (c *csvColumn) commit() {
	if !c.set {
		c.nulls++
		return
	}
	c.count++
	first := !c.has
	c.has = true
	switch c.typ {
	case TypeInt, TypeBool:
		if first || c.num < c.minN {
			c.minN = c.num
		}
		if first || c.maxN < c.num {
			c.maxN = c.num
		}
	case TypeFloat:
		f := c.f
		if f == 0 {
			f = 0 // -0 and 0 are one value: keep the digest free of the sign
		}
		if first || f < c.minF {
			c.minF = f
		}
		if first || c.maxF < f {
			c.maxF = f
		}
	case TypeString:
		k := prefixKey(c.str)
		if first || k < c.minK || k == c.minK && bytes.Compare(c.str, c.minS) < 0 {
			c.minS = keepBytes(c.minS, c.str)
			c.minK = k
		}
		if first || c.maxK < k || k == c.maxK && bytes.Compare(c.maxS, c.str) < 0 {
			c.maxS = keepBytes(c.maxS, c.str)
			c.maxK = k
		}
	}
}

// prefixKey is b's first eight bytes as a big-endian number, zero-padded.
// Where two keys differ they order their strings as bytes.Compare does
// (the first differing byte is in both, or is a nonzero byte against the
// end of the shorter one), so only equal keys need the full comparison.
// Keeping the statistics' first MaxStatStringBytes bytes keeps the key.
func prefixKey(b []byte) uint64 {
	if cap(b) < 8 {
		var w [8]byte
		copy(w[:], b)
		return binary.BigEndian.Uint64(w[:])
	}
	// b is a window on a buffer, so reading up to cap is safe; the bytes
	// past len(b) are not b's and are shifted out.
	k := binary.BigEndian.Uint64(b[:8])
	if n := len(b); n < 8 {
		k = k >> (64 - 8*n) << (64 - 8*n)
	}
	return k
}

// keepBytes copies the first MaxStatStringBytes bytes of b into dst's
// storage, so the statistics never pin the read buffer.
func keepBytes(dst, b []byte) []byte {
	return append(dst[:0], b[:min(len(b), MaxStatStringBytes)]...)
}

// stats is the column's ColumnStats, as DatasetStats.add builds it.
func (c *csvColumn) stats() ColumnStats {
	cs := ColumnStats{Name: c.name, Type: c.typ, Count: c.count, Nulls: c.nulls, HasMin: c.has}
	if !c.has {
		return cs
	}
	cs.Min, cs.Max = Value{Type: c.typ}, Value{Type: c.typ}
	switch c.typ {
	case TypeInt:
		cs.Min.Int, cs.Max.Int = c.minN, c.maxN
	case TypeFloat:
		cs.Min.Float, cs.Max.Float = c.minF, c.maxF
	case TypeString:
		cs.Min.Str, cs.Max.Str = string(c.minS), string(c.maxS)
	case TypeBool:
		cs.Min.Bool, cs.Max.Bool = c.minN != 0, c.maxN != 0
	}
	return cs
}
