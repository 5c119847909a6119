package verify

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
)

// This file keeps the encoding/csv implementation of the CSV verifier as it
// was before the byte-level scanner replaced it. It is the reference the
// differential tests hold scanCSV to: same verdict, same reason text, same
// statistics, for any input. Only the record limit is a parameter, so tests
// can reach it with small inputs.

// refScanCSV is the former scanCSV with the record limit max.
func refScanCSV(ctx context.Context, schema *Schema, r io.Reader, st *DatasetStats, max int) error {
	cr := csv.NewReader(&refRecordLimiter{r: r, max: max})
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
		if err := refParseCSVRow(schema, rec, row); err != nil {
			return reject("row %d: %v", n, err)
		}
		st.addRow(row)
	}
}

func refParseCSVRow(schema *Schema, rec []string, row *rowBuf) error {
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

// refRecordLimiter is the former recordLimiter, byte by byte.
type refRecordLimiter struct {
	r       io.Reader
	max     int
	n       int // bytes of the current record so far
	inQuote bool
	err     error
}

func (l *refRecordLimiter) Read(p []byte) (int, error) {
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
