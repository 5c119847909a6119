package verify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// errMalformedJSON stands in for encoding/json's syntax errors, whose
// wording and offsets are not ours to keep stable.
var errMalformedJSON = errors.New("malformed JSON")

// scanJSONL checks a JSON Lines dataset line by line into st. A row's
// number is its line number; blank lines may only trail the last row, so
// the two never drift apart.
func scanJSONL(ctx context.Context, schema *Schema, r io.Reader, st *DatasetStats) error {
	br := bufio.NewReaderSize(r, 64<<10)
	index := make(map[string]int, len(schema.Columns))
	for i, c := range schema.Columns {
		index[c.Name] = i
	}
	row := newRowBuf(len(schema.Columns))
	var line []byte
	var firstBlank uint64 // line number of the first blank line in the current run, 0 for none
	for n := uint64(1); ; n++ {
		if err := checkCtx(ctx, n-1); err != nil {
			return err
		}
		var err error
		line, err = readLine(br, line[:0])
		switch {
		case err == io.EOF:
			return nil
		case errors.Is(err, errRecordTooLong):
			return reject("row %d: line longer than %d bytes", n, MaxRecordBytes)
		case err != nil:
			return fmt.Errorf("verify dataset: read row %d: %w", n, err)
		}
		if len(bytes.Trim(line, " \t\r")) == 0 {
			if firstBlank == 0 {
				firstBlank = n
			}
			continue
		}
		if firstBlank != 0 {
			return reject("row %d: blank line before more rows", firstBlank)
		}
		if err := parseJSONLRow(schema, index, line, row); err != nil {
			return reject("row %d: %v", n, err)
		}
		st.addRow(row)
	}
}

// readLine appends the next line, without its '\n', to buf. It returns
// io.EOF only when no bytes are left, and errRecordTooLong as soon as the
// line passes MaxRecordBytes, before buffering the rest of it.
func readLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		chunk, err := br.ReadSlice('\n')
		buf = append(buf, chunk...)
		n := len(buf)
		if err == nil {
			n-- // the '\n'
		}
		if n > MaxRecordBytes {
			return nil, errRecordTooLong
		}
		switch {
		case err == nil:
			return buf[:n], nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && len(buf) > 0:
			return buf, nil
		}
		return nil, err
	}
}

// parseJSONLRow reads one line holding one JSON object into row.
func parseJSONLRow(schema *Schema, index map[string]int, line []byte, row *rowBuf) error {
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD.
	if !utf8.Valid(line) {
		return errors.New("invalid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil {
		return errMalformedJSON
	} else if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errors.New("not a JSON object")
	}
	row.reset()
	for dec.More() {
		if err := parseJSONLField(schema, index, dec, row); err != nil {
			return err
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return errMalformedJSON
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return errors.New("more than one JSON value on the line")
		}
		return errMalformedJSON
	}
	for i, c := range schema.Columns {
		if c.Required && !row.seen[i] {
			return fmt.Errorf("column %s: required value is missing", quoteCell(c.Name))
		}
	}
	return nil
}

func parseJSONLField(schema *Schema, index map[string]int, dec *json.Decoder, row *rowBuf) error {
	tok, err := dec.Token()
	key, ok := tok.(string)
	if err != nil || !ok {
		return errMalformedJSON
	}
	i, ok := index[key]
	if !ok {
		return fmt.Errorf("unknown field %s", quoteCell(key))
	}
	c := schema.Columns[i]
	if row.seen[i] {
		return fmt.Errorf("column %s: appears twice", quoteCell(c.Name))
	}
	row.seen[i] = true
	if tok, err = dec.Token(); err != nil {
		return errMalformedJSON
	}
	v, isNull, err := jsonValue(c.Type, tok)
	if err != nil {
		return fmt.Errorf("column %s: %w", quoteCell(c.Name), err)
	}
	if isNull {
		if c.Required {
			return fmt.Errorf("column %s: required value is null", quoteCell(c.Name))
		}
		return nil
	}
	row.vals[i], row.set[i] = v, true
	return nil
}

// jsonValue reads a JSON token as a value of type t. Only a JSON number
// may fill an int or float column, only a string a string column, only a
// bool a bool column.
func jsonValue(t ColumnType, tok json.Token) (v Value, isNull bool, err error) {
	v.Type = t
	switch x := tok.(type) {
	case nil:
		return v, true, nil
	case json.Number:
		switch t {
		case TypeInt:
			if v.Int, err = strconv.ParseInt(string(x), 10, 64); err == nil {
				return v, false, nil
			}
		case TypeFloat:
			if v.Float, err = parseFinite(string(x)); err == nil {
				return v, false, nil
			}
		}
		return v, false, fmt.Errorf("number %s is not %s", quoteCell(string(x)), article(t))
	case string:
		if t == TypeString {
			v.Str = x
			return v, false, nil
		}
		return v, false, fmt.Errorf("string %s is not %s", quoteCell(x), article(t))
	case bool:
		if t == TypeBool {
			v.Bool = x
			return v, false, nil
		}
		return v, false, fmt.Errorf("bool %t is not %s", x, article(t))
	case json.Delim:
		if x == '[' {
			return v, false, fmt.Errorf("array is not %s", article(t))
		}
		return v, false, fmt.Errorf("object is not %s", article(t))
	}
	return v, false, errMalformedJSON
}
