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
	sc := newCSVScanner(&recordLimiter{r: r, max: MaxRecordBytes}, csvBufSize)
	return scanCSVRecords(ctx, schema, sc, st)
}

// scanCSVRecords checks the records sc yields: the header, then the rows.
// A row is parsed into per-column accumulators and committed only once
// every cell in it has passed; st is written only when the scan succeeds
// (ComputeDatasetStats drops it otherwise).
func scanCSVRecords(ctx context.Context, schema *Schema, sc *csvScanner, st *DatasetStats) error {
	header, err := sc.next()
	if err == io.EOF {
		return reject("header: missing (the file is empty)")
	}
	if err != nil {
		return csvErr("header", err)
	}
	if err := checkHeader(schema, fieldStrings(header)); err != nil {
		return err
	}
	cols := newCSVColumns(schema)
	for n := uint64(1); ; n++ {
		if err := checkCtx(ctx, n-1); err != nil {
			return err
		}
		rec, err := sc.next()
		if err == io.EOF {
			st.Rows = n - 1
			for i := range cols {
				st.Columns[i] = cols[i].stats()
			}
			return nil
		}
		if err != nil {
			return csvErr(fmt.Sprintf("row %d", n), err)
		}
		if err := parseCSVRow(cols, rec, sc.ascii); err != nil {
			return reject("row %d: %v", n, err)
		}
		commitCSVRow(cols)
	}
}

func fieldStrings(fields [][]byte) []string {
	s := make([]string, len(fields))
	for i, f := range fields {
		s[i] = string(f)
	}
	return s
}

func checkHeader(schema *Schema, header []string) error {
	for i, c := range schema.Columns {
		if i >= len(header) {
			return reject("header: %d columns, want %d (missing %s)", len(header), len(schema.Columns), quoteCell(c.Name))
		}
		if header[i] != c.Name {
			return reject("header: column %d is %s, want %s", i+1, quoteCell(header[i]), quoteCell(c.Name))
		}
	}
	if len(header) > len(schema.Columns) {
		return reject("header: %d columns, want %d (extra %s)", len(header), len(schema.Columns), quoteCell(header[len(schema.Columns)]))
	}
	return nil
}

// csvErr turns a CSV scanning error into a verdict. The reason is built
// from the sentinel alone, without line or column numbers, so it cannot
// drift with how (or by which Go release) the input was split.
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
