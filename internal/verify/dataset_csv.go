package verify

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
)

// scanCSV checks a CSV dataset row by row into st.
func scanCSV(ctx context.Context, schema *Schema, r io.Reader, st *DatasetStats) error {
	cr := csv.NewReader(&recordLimiter{r: r, max: MaxRecordBytes})
	cr.FieldsPerRecord = -1 // counted here, to name the row in our own words
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return reject("header: missing (the file is empty)")
	}
	if err != nil {
		return csvErr("header", err)
	}
	if err := checkHeader(schema, header); err != nil {
		return err
	}
	row := newRowBuf(len(schema.Columns))
	for n := uint64(1); ; n++ {
		if err := checkCtx(ctx, n-1); err != nil {
			return err
		}
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return csvErr(fmt.Sprintf("row %d", n), err)
		}
		if err := parseCSVRow(schema, rec, row); err != nil {
			return reject("row %d: %v", n, err)
		}
		st.addRow(row)
	}
}

func checkHeader(schema *Schema, header []string) error {
	for i, c := range schema.Columns {
		if i >= len(header) {
			return reject("header: %d columns, want %d (missing %q)", len(header), len(schema.Columns), c.Name)
		}
		if header[i] != c.Name {
			return reject("header: column %d is %s, want %q", i+1, quoteCell(header[i]), c.Name)
		}
	}
	if len(header) > len(schema.Columns) {
		return reject("header: %d columns, want %d (extra %s)", len(header), len(schema.Columns), quoteCell(header[len(schema.Columns)]))
	}
	return nil
}

func parseCSVRow(schema *Schema, rec []string, row *rowBuf) error {
	if len(rec) != len(schema.Columns) {
		return fmt.Errorf("%d fields, want %d (one per column)", len(rec), len(schema.Columns))
	}
	row.reset()
	for i, c := range schema.Columns {
		if rec[i] == "" {
			if c.Required {
				return fmt.Errorf("column %q: required value is empty", c.Name)
			}
			continue
		}
		v, err := parseText(c.Type, rec[i])
		if err != nil {
			return fmt.Errorf("column %q: %w", c.Name, err)
		}
		row.vals[i], row.set[i] = v, true
	}
	return nil
}

// csvErr turns an encoding/csv error into a verdict. Its own messages carry
// line and column numbers whose wording may change between Go releases, so
// the reason is rebuilt from the sentinel alone.
func csvErr(where string, err error) error {
	if errors.Is(err, errRecordTooLong) {
		return reject("%s: record longer than %d bytes", where, MaxRecordBytes)
	}
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("verify dataset: read %s: %w", where, err)
	}
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		return reject("%s: malformed CSV: bare quote in an unquoted field", where)
	case errors.Is(pe.Err, csv.ErrQuote):
		return reject("%s: malformed CSV: extraneous or missing quote in a quoted field", where)
	}
	return reject("%s: malformed CSV", where)
}

var errRecordTooLong = errors.New("record too long")

// recordLimiter fails a CSV stream at the first record longer than max
// bytes, before encoding/csv could buffer it whole. It finds record ends by
// quote parity: a newline outside quotes ends a record. For well-formed CSV
// that is exactly where encoding/csv ends it; where the two could disagree
// (a bare quote), encoding/csv reports that earlier row first. So the row
// that fails depends on the bytes alone, not on read sizes or buffering.
type recordLimiter struct {
	r       io.Reader
	max     int
	n       int // bytes of the current record so far
	inQuote bool
	err     error
}

func (l *recordLimiter) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	for i, c := range p[:n] {
		switch {
		case c == '"':
			l.inQuote = !l.inQuote
		case c == '\n' && !l.inQuote:
			l.n = 0
			continue
		}
		l.n++
		if l.n > l.max {
			l.err = errRecordTooLong
			return i, l.err
		}
	}
	return n, err
}
