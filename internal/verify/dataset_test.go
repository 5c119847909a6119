package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

const testSchema = `{"columns":[
	{"name":"id","type":"int","required":true},
	{"name":"score","type":"float"},
	{"name":"label","type":"string"},
	{"name":"ok","type":"bool"}]}`

// The same four rows in both formats: the statistics must agree.
const goodCSV = "id,score,label,ok\n" +
	"1,0.5,b,true\n" +
	"2,,a,false\n" +
	"-3,-0,,\n" +
	"4,1e3,\"c,d\",true\n"

const goodJSONL = `{"id":1,"score":0.5,"label":"b","ok":true}
{"id":2,"score":null,"label":"a","ok":false}
{"id":-3,"score":-0}
{"ok":true,"label":"c,d","score":1e3,"id":4}

`

func datasetInput(format, schema, data string) Input {
	return Input{
		Kind: KindDataset, Format: format, Schema: []byte(schema), Size: uint64(len(data)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(data)), nil },
	}
}

func mustSchema(t *testing.T, s string) *Schema {
	t.Helper()
	sc, err := ParseSchema([]byte(s))
	if err != nil {
		t.Fatalf("ParseSchema: %v", err)
	}
	return sc
}

func TestDatasetGoodStats(t *testing.T) {
	want := []ColumnStats{
		{Name: "id", Type: TypeInt, Count: 4, HasMin: true, Min: Value{Type: TypeInt, Int: -3}, Max: Value{Type: TypeInt, Int: 4}},
		{Name: "score", Type: TypeFloat, Count: 3, Nulls: 1, HasMin: true, Min: Value{Type: TypeFloat, Float: 0}, Max: Value{Type: TypeFloat, Float: 1000}},
		{Name: "label", Type: TypeString, Count: 3, Nulls: 1, HasMin: true, Min: Value{Type: TypeString, Str: "a"}, Max: Value{Type: TypeString, Str: "c,d"}},
		{Name: "ok", Type: TypeBool, Count: 3, Nulls: 1, HasMin: true, Min: Value{Type: TypeBool, Bool: false}, Max: Value{Type: TypeBool, Bool: true}},
	}
	digests := map[string][32]byte{}
	for _, tc := range []struct{ format, data string }{{"csv", goodCSV}, {"jsonl", goodJSONL}} {
		t.Run(tc.format, func(t *testing.T) {
			st, err := ComputeDatasetStats(context.Background(), tc.format, mustSchema(t, testSchema), strings.NewReader(tc.data))
			if err != nil {
				t.Fatalf("ComputeDatasetStats: %v", err)
			}
			if st.Rows != 4 || !reflect.DeepEqual(st.Columns, want) {
				t.Fatalf("stats = %d rows %+v\nwant 4 rows %+v", st.Rows, st.Columns, want)
			}
			r1, err1 := Run(context.Background(), datasetInput(tc.format, testSchema, tc.data))
			r2, err2 := Run(context.Background(), datasetInput(tc.format, testSchema, tc.data))
			if err1 != nil || err2 != nil || !r1.Valid || r1 != r2 {
				t.Fatalf("runs differ or fail: %+v %v / %+v %v", r1, err1, r2, err2)
			}
			if r1.Digest != st.Digest() {
				t.Fatalf("Run digest %x != stats digest %x", r1.Digest, st.Digest())
			}
			digests[tc.format] = r1.Digest
		})
	}
	// The format is part of what is attested.
	if digests["csv"] == digests["jsonl"] {
		t.Fatal("csv and jsonl digests are equal")
	}
}

// The digest attests the statistics, not the bytes (the blob's Merkle root
// does that): a value that moves a statistic moves the digest, a value that
// moves none leaves it alone.
func TestDatasetDigestTracksStats(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	rows := make([][]string, 500)
	for i := range rows {
		rows[i] = []string{fmt.Sprint(i), fmt.Sprint(rng.Float64()), fmt.Sprintf("l%03d", rng.IntN(900)+50), "true"}
	}
	render := func(rows [][]string) string {
		var b strings.Builder
		b.WriteString("id,score,label,ok\n")
		for _, r := range rows {
			b.WriteString(strings.Join(r, ",") + "\n")
		}
		return b.String()
	}
	base := runValid(t, datasetInput("csv", testSchema, render(rows)))
	k := rng.IntN(len(rows)-2) + 1 // neither the first nor the last id
	for _, tc := range []struct {
		name    string
		col     int
		val     string
		changes bool
	}{
		{"new max label", 2, "zzz", true},
		{"new min id", 0, "-1", true},
		{"value to null", 1, "", true},
		{"bool flips", 3, "false", true},
		{"interior label", 2, "l500", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mod := make([][]string, len(rows))
			for i := range rows {
				mod[i] = slices.Clone(rows[i])
			}
			mod[k][tc.col] = tc.val
			d := runValid(t, datasetInput("csv", testSchema, render(mod)))
			if (d != base) != tc.changes {
				t.Fatalf("digest changed = %v, want %v", d != base, tc.changes)
			}
		})
	}
}

func runValid(t *testing.T, in Input) [32]byte {
	t.Helper()
	r, err := Run(context.Background(), in)
	if err != nil || !r.Valid {
		t.Fatalf("Run = %+v, %v; want valid", r, err)
	}
	return r.Digest
}

func TestDatasetInvalid(t *testing.T) {
	const h = "id,score,label,ok\n"
	long := strings.Repeat("x", MaxRecordBytes)
	manyLines := `"` + strings.Repeat("ab\n", MaxRecordBytes/3+1) + `"`
	for _, tc := range []struct {
		name, format, data, want string
	}{
		{"csv empty file", "csv", "", "header: missing"},
		{"csv bad header", "csv", "id,score,label,okk\n1,,,\n", `header: column 4 is "okk", want "ok"`},
		{"csv short header", "csv", "id,score\n", `header: 2 columns, want 4 (missing "label")`},
		{"csv long header", "csv", "id,score,label,ok,x\n", `header: 5 columns, want 4 (extra "x")`},
		{"csv wrong field count", "csv", h + "1,2,a,true\n2,3,b\n", "row 2: 3 fields, want 4"},
		{"csv bad int", "csv", h + "1,,,\n2,,,\nx,,,\n", `row 3: column "id": "x" is not an int`},
		{"csv int overflow", "csv", h + "9223372036854775808,,,\n", `row 1: column "id": "9223372036854775808" is not an int`},
		{"csv NaN float", "csv", h + "1,NaN,,\n", `row 1: column "score": "NaN" is not a finite float`},
		{"csv Inf float", "csv", h + "1,+Inf,,\n", `row 1: column "score": "+Inf" is not a finite float`},
		{"csv float overflow", "csv", h + "1,1e400,,\n", `row 1: column "score": "1e400" is not a finite float`},
		{"csv bad bool", "csv", h + "1,,,TRUE\n", `row 1: column "ok": "TRUE" is not a bool`},
		{"csv missing required", "csv", h + "1,,,\n,1.5,a,true\n", `row 2: column "id": required value is empty`},
		{"csv invalid UTF-8", "csv", h + "1,,a\xffb,\n", `row 1: column "label": "a\xffb" is not valid UTF-8`},
		{"csv bare quote", "csv", h + "1,,a\"b,\n", "row 1: malformed CSV: bare quote"},
		{"csv open quote", "csv", h + "1,,\"ab,\n", "row 1: malformed CSV: extraneous or missing quote"},
		{"csv record too long", "csv", h + "1,,,\n2,," + long + ",\n", "row 2: record longer than 1048576 bytes"},
		{"csv quoted record too long", "csv", h + "1,," + manyLines + ",\n", "row 1: record longer than 1048576 bytes"},
		{"jsonl unknown field", "jsonl", `{"id":1,"extra":2}`, `row 1: unknown field "extra"`},
		{"jsonl missing required", "jsonl", "{\"id\":1}\n{\"score\":1}\n", `row 2: column "id": required value is missing`},
		{"jsonl null required", "jsonl", `{"id":null}`, `row 1: column "id": required value is null`},
		{"jsonl string as int", "jsonl", `{"id":"1"}`, `row 1: column "id": string "1" is not an int`},
		{"jsonl fraction as int", "jsonl", `{"id":1.5}`, `row 1: column "id": number "1.5" is not an int`},
		{"jsonl float overflow", "jsonl", `{"id":1,"score":1e400}`, `row 1: column "score": number "1e400" is not a finite float`},
		{"jsonl NaN string", "jsonl", `{"id":1,"score":"NaN"}`, `row 1: column "score": string "NaN" is not a finite float`},
		{"jsonl array", "jsonl", `{"id":1,"label":["a"]}`, `row 1: column "label": array is not a string`},
		{"jsonl bool as string", "jsonl", `{"id":1,"label":true}`, `row 1: column "label": bool true is not a string`},
		{"jsonl invalid UTF-8", "jsonl", "{\"id\":1}\n{\"id\":2,\"label\":\"\xff\"}\n", "row 2: invalid UTF-8"},
		{"jsonl malformed", "jsonl", `{"id":1,}`, "row 1: malformed JSON"},
		{"jsonl not an object", "jsonl", `[1]`, "row 1: not a JSON object"},
		{"jsonl duplicate key", "jsonl", `{"id":1,"id":2}`, `row 1: column "id": appears twice`},
		{"jsonl two values", "jsonl", `{"id":1} {"id":2}`, "row 1: more than one JSON value on the line"},
		{"jsonl blank line inside", "jsonl", "{\"id\":1}\n\n{\"id\":2}\n", "row 2: blank line before more rows"},
		{"jsonl line too long", "jsonl", "{\"id\":1}\n{\"id\":2,\"label\":\"" + long + "\"}\n", "row 2: line longer than 1048576 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantInvalid(t, datasetInput(tc.format, testSchema, tc.data), tc.want)
		})
	}
}

// A schema that does not parse is an invalid artifact, not a failed run.
func TestDatasetBadSchemaIsInvalid(t *testing.T) {
	for _, tc := range []struct{ schema, want string }{
		{"", "schema: missing"},
		{`{"columns":[{"name":"id","type":"integer"}]}`, `schema: column 1: "id": unknown type "integer"`},
		{`{"columns":[{"name":"id","type":"int"}]`, "schema: not a JSON object"},
	} {
		wantInvalid(t, datasetInput("csv", tc.schema, goodCSV), tc.want)
	}
}

// wantInvalid runs in and wants an invalid verdict whose reason starts
// with want and whose digest is the digest of that reason.
func wantInvalid(t *testing.T, in Input, want string) {
	t.Helper()
	r, err := Run(context.Background(), in)
	if err != nil {
		t.Fatalf("Run error: %v", err)
	}
	if r.Valid || !strings.HasPrefix(r.Reason, want) {
		t.Fatalf("Run = valid %v reason %q; want invalid %q", r.Valid, r.Reason, want)
	}
	if r != Invalid("%s", r.Reason) {
		t.Fatalf("digest is not the digest of the reason")
	}
}

func TestParseSchema(t *testing.T) {
	col := func(i int) string { return fmt.Sprintf(`{"name":"c%d","type":"int"}`, i) }
	var many []string
	for i := range MaxSchemaColumns + 1 {
		many = append(many, col(i))
	}
	for _, tc := range []struct{ name, in, want string }{
		{"ok", testSchema, ""},
		{"empty", "", "schema: missing"},
		{"too big", `{"columns":[` + strings.Repeat(" ", MaxSchemaBytes) + `]}`, "schema: 65550 bytes, more than the limit of 65536"},
		{"not JSON", `{"columns":`, "schema: not a JSON object"},
		{"not an object", `[]`, "schema: not a JSON object"},
		{"unknown top field", `{"columns":[],"rows":1,"a":2}`, `schema: unknown field "a"`},
		{"no columns", `{}`, `schema: no "columns" field`},
		{"empty columns", `{"columns":[]}`, `schema: "columns" must be a non-empty array`},
		{"too many columns", `{"columns":[` + strings.Join(many, ",") + `]}`, "schema: 1025 columns, more than the limit of 1024"},
		{"null column", `{"columns":[null]}`, "schema: column 1: not a JSON object"},
		{"empty name", `{"columns":[{"name":"","type":"int"}]}`, `schema: column 1: "name" must be a non-empty string`},
		{"name not string", `{"columns":[{"name":1,"type":"int"}]}`, `schema: column 1: "name" must be a non-empty string`},
		{"duplicate name", `{"columns":[` + col(1) + `,` + col(1) + `]}`, `schema: column 2: duplicate name "c1"`},
		{"unknown type", `{"columns":[{"name":"a","type":"date"}]}`, `schema: column 1: "a": unknown type "date" (want int, float, string or bool)`},
		{"missing type", `{"columns":[{"name":"a"}]}`, `schema: column 1: "a": "type" must be a string`},
		{"bad required", `{"columns":[{"name":"a","type":"int","required":"yes"}]}`, `schema: column 1: "a": "required" must be true or false`},
		{"unknown column field", `{"columns":[{"name":"a","type":"int","requried":true}]}`, `schema: column 1: unknown field "requried"`},
		{"invalid UTF-8", "{\"columns\":[{\"name\":\"\xff\",\"type\":\"int\"}]}", "schema: not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSchema([]byte(tc.in))
			if tc.want == "" {
				if err != nil || len(s.Columns) != 4 || s.Columns[0] != (Column{"id", TypeInt, true}) {
					t.Fatalf("ParseSchema = %+v, %v", s, err)
				}
				return
			}
			if !errors.Is(err, ErrSchema) || err.Error() != tc.want {
				t.Fatalf("ParseSchema error = %v; want %q", err, tc.want)
			}
		})
	}
}
