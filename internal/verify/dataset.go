package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"
)

// MaxRecordBytes bounds one CSV record or JSONL line, so a member's memory
// does not depend on how the artifact was built.
const MaxRecordBytes = 1 << 20

// ctxCheckRows is how often a scan looks at its context: often enough to
// stop within milliseconds, rarely enough to cost nothing.
const ctxCheckRows = 4096

// Rejection is the error ComputeDatasetStats and ReadSafetensors return
// for bytes that fail a check. Reason is deterministic (it names the row,
// column, tensor or limit, never a machine-local detail) and becomes the
// Result's Reason. Any other error means no verdict was reached.
type Rejection struct {
	Reason string
}

func (r *Rejection) Error() string { return "invalid artifact: " + r.Reason }

func reject(format string, args ...any) error {
	return &Rejection{Reason: fmt.Sprintf(format, args...)}
}

// verdict turns a scan's outcome into a Result: a Rejection is an invalid
// verdict, any other error is no verdict at all.
func verdict(digest func() [32]byte, err error) (Result, error) {
	var rej *Rejection
	if errors.As(err, &rej) {
		return Invalid("%s", rej.Reason), nil
	}
	if err != nil {
		return Result{}, err
	}
	return Result{Valid: true, Digest: digest()}, nil
}

func runDataset(ctx context.Context, in Input) (Result, error) {
	if in.Format != "csv" && in.Format != "jsonl" {
		return Result{}, fmt.Errorf("%w: dataset/%s", ErrUnsupported, in.Format)
	}
	schema, err := ParseSchema(in.Schema)
	if err != nil {
		return Invalid("%v", err), nil
	}
	rc, err := in.Open()
	if err != nil {
		return Result{}, fmt.Errorf("verify dataset: open: %w", err)
	}
	defer rc.Close()
	st, err := ComputeDatasetStats(ctx, in.Format, schema, rc)
	return verdict(func() [32]byte { return st.Digest() }, err)
}

// ComputeDatasetStats streams a dataset in format "csv" or "jsonl" from r,
// checks every row against schema and returns its statistics. The first
// row that fails a check ends the scan with a *Rejection naming its 1-based
// data row (the CSV header is not a data row). ctx is checked every
// ctxCheckRows rows; its error comes back wrapped, for errors.Is.
//
// CSV: the header must list the schema's names in order, every record must
// have one field per column, and an empty field (quoted or not) is null;
// encoding/csv skips blank lines, so in a one-column file a null row must
// be written as "". JSONL: one JSON object per line, keys from the schema
// only, each at most once; a missing key or a JSON null is null; blank
// lines are allowed only at the end.
func ComputeDatasetStats(ctx context.Context, format string, schema *Schema, r io.Reader) (*DatasetStats, error) {
	st := newDatasetStats(format, schema)
	var err error
	switch format {
	case "csv":
		err = scanCSV(ctx, schema, r, st)
	case "jsonl":
		err = scanJSONL(ctx, schema, r, st)
	default:
		err = fmt.Errorf("%w: dataset/%s", ErrUnsupported, format)
	}
	if err != nil {
		return nil, err
	}
	return st, nil
}

// checkCtx is called once per row; it looks at ctx every ctxCheckRows.
func checkCtx(ctx context.Context, row uint64) error {
	if row%ctxCheckRows != 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("verify dataset: stopped at row %d: %w", row, err)
	}
	return nil
}

// parseText reads a non-empty textual cell (a CSV field) as a value of type
// t. The error text names the value, truncated, and is deterministic.
func parseText(t ColumnType, s string) (Value, error) {
	v := Value{Type: t}
	var err error
	switch t {
	case TypeInt:
		v.Int, err = strconv.ParseInt(s, 10, 64)
	case TypeFloat:
		v.Float, err = parseFinite(s)
	case TypeString:
		if !utf8.ValidString(s) {
			return v, fmt.Errorf("%s is not valid UTF-8", quoteCell(s))
		}
		v.Str = s
	case TypeBool:
		switch s {
		case "true":
			v.Bool = true
		case "false":
		default:
			err = errors.New("not a bool")
		}
	}
	if err != nil {
		return v, fmt.Errorf("%s is not %s", quoteCell(s), article(t))
	}
	return v, nil
}

// parseFinite is strconv.ParseFloat without NaN, infinities and values
// that overflow to them: none has a place in a numeric min or max.
func parseFinite(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, errors.New("not finite")
	}
	return f, nil
}

// quoteCell quotes a cell for a reason, cut to 64 bytes so a reason stays
// short whatever the row holds.
func quoteCell(s string) string {
	const max = 64
	if len(s) > max {
		return strconv.Quote(s[:max]) + "..."
	}
	return strconv.Quote(s)
}

func article(t ColumnType) string {
	switch t {
	case TypeInt:
		return "an int"
	case TypeFloat:
		return "a finite float"
	case TypeString:
		return "a string"
	case TypeBool:
		return "a bool (true or false)"
	}
	return t.String()
}
