package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"
)

// Limits on a declared dataset schema. They bound the work a member does
// before it reads a single row; a schema past them is an invalid artifact.
const (
	MaxSchemaBytes   = 64 << 10
	MaxSchemaColumns = 1024
)

// ColumnType is the type of a dataset column. The numbering is part of the
// dataset digest: never reuse a number.
type ColumnType uint8

const (
	TypeInt    ColumnType = 1 // base-10 int64
	TypeFloat  ColumnType = 2 // finite float64
	TypeString ColumnType = 3 // valid UTF-8
	TypeBool   ColumnType = 4 // true or false
)

var columnTypeNames = map[string]ColumnType{
	"int": TypeInt, "float": TypeFloat, "string": TypeString, "bool": TypeBool,
}

func (t ColumnType) String() string {
	switch t {
	case TypeInt:
		return "int"
	case TypeFloat:
		return "float"
	case TypeString:
		return "string"
	case TypeBool:
		return "bool"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// Column is one declared column. A required column may be neither missing
// nor null in any row.
type Column struct {
	Name     string
	Type     ColumnType
	Required bool
}

// Schema is a parsed dataset schema: the columns in declared order, which
// is also the CSV header order and the order of the per-column statistics.
type Schema struct {
	Columns []Column
}

// ErrSchema marks every error ParseSchema returns. Its messages are built
// from the schema's bytes only (never from encoding/json's wording, which
// may change between Go releases), so they can serve as a verdict's reason.
var ErrSchema = errors.New("schema")

func schemaErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrSchema, fmt.Sprintf(format, args...))
}

// ParseSchema reads a schema of the form
//
//	{"columns":[{"name":"id","type":"int","required":true},{"name":"label","type":"string"}]}
//
// Names must be non-empty, valid UTF-8 and unique; types are int, float,
// string or bool; "required" defaults to false. Unknown fields are errors,
// so a typo such as "requried" cannot silently relax a schema.
func ParseSchema(b []byte) (*Schema, error) {
	if len(b) == 0 {
		return nil, schemaErr("missing")
	}
	if len(b) > MaxSchemaBytes {
		return nil, schemaErr("%d bytes, more than the limit of %d", len(b), MaxSchemaBytes)
	}
	if !utf8.Valid(b) {
		return nil, schemaErr("not valid UTF-8")
	}
	top, err := strictObject(b, "columns")
	if err != nil {
		return nil, schemaErr("%v", err)
	}
	raw, ok := top["columns"]
	if !ok {
		return nil, schemaErr(`no "columns" field`)
	}
	var cols []json.RawMessage
	if err := strictUnmarshal(raw, &cols); err != nil || len(cols) == 0 {
		return nil, schemaErr(`"columns" must be a non-empty array`)
	}
	if len(cols) > MaxSchemaColumns {
		return nil, schemaErr("%d columns, more than the limit of %d", len(cols), MaxSchemaColumns)
	}
	s := &Schema{Columns: make([]Column, 0, len(cols))}
	seen := make(map[string]bool, len(cols))
	for i, rc := range cols {
		c, err := parseColumn(rc)
		if err != nil {
			return nil, schemaErr("column %d: %v", i+1, err)
		}
		if seen[c.Name] {
			return nil, schemaErr("column %d: duplicate name %q", i+1, c.Name)
		}
		seen[c.Name] = true
		s.Columns = append(s.Columns, c)
	}
	return s, nil
}

func parseColumn(b []byte) (Column, error) {
	fields, err := strictObject(b, "name", "type", "required")
	if err != nil {
		return Column{}, err
	}
	var c Column
	if err := strictUnmarshal(fields["name"], &c.Name); err != nil || c.Name == "" {
		return Column{}, errors.New(`"name" must be a non-empty string`)
	}
	var typ string
	if err := strictUnmarshal(fields["type"], &typ); err != nil {
		return Column{}, fmt.Errorf("%q: \"type\" must be a string", c.Name)
	}
	t, ok := columnTypeNames[typ]
	if !ok {
		return Column{}, fmt.Errorf("%q: unknown type %q (want int, float, string or bool)", c.Name, typ)
	}
	c.Type = t
	if r, ok := fields["required"]; ok {
		if err := strictUnmarshal(r, &c.Required); err != nil {
			return Column{}, fmt.Errorf("%q: \"required\" must be true or false", c.Name)
		}
	}
	return c, nil
}

// strictObject decodes a JSON object whose keys must all be in allowed.
// A map is enough here: duplicate keys in a schema cannot make members
// disagree, since every member keeps the same (last) one.
func strictObject(b []byte, allowed ...string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := strictUnmarshal(b, &m); err != nil || m == nil {
		return nil, errors.New("not a JSON object")
	}
	var unknown []string
	for k := range m {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		// Sorted, so every member names the same field whatever the map
		// order.
		slices.Sort(unknown)
		return nil, fmt.Errorf("unknown field %q", unknown[0])
	}
	return m, nil
}

// strictUnmarshal is json.Unmarshal that also refuses a JSON null, which
// Unmarshal would accept silently as "leave unchanged".
func strictUnmarshal(b []byte, v any) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return errors.New("null")
	}
	return json.Unmarshal(b, v)
}

// appendCanonical appends the schema's canonical binary form (see
// DatasetStats.Digest): the column count, then per column its name, type
// and required flag.
func (s *Schema) appendCanonical(e *canonEncoder) {
	e.u64(uint64(len(s.Columns)))
	for _, c := range s.Columns {
		e.str(c.Name)
		e.u8(uint8(c.Type))
		e.flag(c.Required)
	}
}
