package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// Schemas the differential tests pick from: every column type, required
// and not, one and several columns.
var diffSchemas = []string{
	testSchema,
	attestSchema,
	`{"columns":[{"name":"s","type":"string","required":true}]}`,
	`{"columns":[{"name":"f","type":"float"},{"name":"i","type":"int"}]}`,
	`{"columns":[{"name":"b","type":"bool","required":true},{"name":"s","type":"string"}]}`,
}

// diffHeader is the header line that fits diffSchemas[i].
func diffHeader(t *testing.T, i int) string {
	var names []string
	for _, c := range mustSchema(t, diffSchemas[i]).Columns {
		names = append(names, c.Name)
	}
	return strings.Join(names, ",") + "\n"
}

// readPlan says how a test reader hands out the bytes: in pieces of up to
// chunk bytes (0: all at once), with empty reads in between, with io.EOF
// on the last piece, or failing with errInjected after failAt bytes.
type readPlan struct {
	seed    uint64
	chunk   int
	empties bool
	eofLast bool
	failAt  int // <0: never
}

var errInjected = errors.New("injected read failure")

type planReader struct {
	data []byte
	plan readPlan
	rng  *rand.Rand
	off  int
}

func (p readPlan) reader(data []byte) io.Reader {
	return &planReader{data: data, plan: p, rng: rand.New(rand.NewPCG(p.seed, 99))}
}

func (r *planReader) Read(b []byte) (int, error) {
	end := len(r.data)
	if r.plan.failAt >= 0 && r.plan.failAt < end {
		end = r.plan.failAt
	}
	if r.off >= end {
		if end < len(r.data) {
			return 0, errInjected
		}
		return 0, io.EOF
	}
	if r.plan.empties && r.rng.IntN(4) == 0 {
		return 0, nil
	}
	n := min(len(b), end-r.off)
	if r.plan.chunk > 0 {
		n = min(n, 1+r.rng.IntN(r.plan.chunk))
	}
	copy(b, r.data[r.off:r.off+n])
	r.off += n
	if r.plan.eofLast && r.off == len(r.data) {
		return n, io.EOF
	}
	return n, nil
}

// csvOutcome is a scan's result in comparable form: the statistics of a
// valid dataset, the reason of a rejection, or the text of another error.
type csvOutcome struct {
	kind   string // "valid", "invalid" or "error"
	text   string
	rows   uint64
	cols   []ColumnStats
	digest [32]byte
}

func outcome(st *DatasetStats, err error) csvOutcome {
	var rej *Rejection
	switch {
	case errors.As(err, &rej):
		return csvOutcome{kind: "invalid", text: rej.Reason}
	case err != nil:
		return csvOutcome{kind: "error", text: err.Error()}
	}
	return csvOutcome{kind: "valid", rows: st.Rows, cols: st.Columns, digest: st.Digest()}
}

// bothCSV scans data with the reference and with scanCSV's machinery,
// with record limit limit and a scanner buffer of bufSize bytes.
func bothCSV(ctx context.Context, schema *Schema, data []byte, limit, bufSize int, plan readPlan) (ref, got csvOutcome) {
	st := newDatasetStats("csv", schema)
	ref = outcome(st, refScanCSV(ctx, schema, plan.reader(data), st, limit))
	st = newDatasetStats("csv", schema)
	sc := newCSVScanner(&recordLimiter{r: plan.reader(data), max: limit}, bufSize)
	got = outcome(st, scanCSVRecords(ctx, schema, sc, st))
	return ref, got
}

func checkSame(t *testing.T, ref, got csvOutcome) {
	t.Helper()
	if !reflect.DeepEqual(ref, got) {
		t.Fatalf("scanCSV differs from the reference:\n got %+v\nwant %+v", got, ref)
	}
}

// diffPlans are the read patterns every table case runs under.
var diffPlans = []struct {
	name    string
	bufSize int
	plan    readPlan
}{
	{"whole", csvBufSize, readPlan{failAt: -1}},
	{"bytewise", csvBufSize, readPlan{chunk: 1, failAt: -1}},
	{"pieces", csvBufSize, readPlan{seed: 1, chunk: 7, empties: true, eofLast: true, failAt: -1}},
	{"tiny buffer", 1, readPlan{seed: 2, chunk: 5, failAt: -1}},
	{"small buffer", 16, readPlan{seed: 3, chunk: 64, eofLast: true, failAt: -1}},
}

// csvTrickyCases are inputs where a CSV reader or the cell parsers could
// go astray. Each is data for diffSchemas[schema], after its header unless
// raw.
var csvTrickyCases = []struct {
	name   string
	schema int
	raw    bool
	data   string
}{
	{"good", 0, true, goodCSV},
	{"empty", 0, true, ""},
	{"only blank lines", 0, true, "\n\r\n\n"},
	{"header only", 0, false, ""},
	{"header without newline", 0, true, "id,score,label,ok"},
	{"blank lines before header", 0, true, "\n\n\r\nid,score,label,ok\n1,,,\n"},
	{"header CRLF", 0, true, "id,score,label,ok\r\n1,,,\r\n"},
	{"header quoted", 0, true, "\"id\",\"score\",label,\"ok\"\n1,,,\n"},
	{"header bad", 0, true, "id,score,label,okk\n"},
	{"header short", 0, true, "id\n"},
	{"header long", 0, true, "id,score,label,ok,\"x\ny\"\n"},
	{"header bare quote", 0, true, "id,sc\"ore,label,ok\n"},
	{"header BOM", 0, true, "\ufeffid,score,label,ok\n1,,,\n"},
	{"header open quote", 0, true, "id,score,label,\"ok\n"},
	{"no trailing newline", 0, false, "1,2,a,true"},
	{"trailing CR", 0, false, "1,2,a,true\r"},
	{"trailing CR CR", 0, false, "1,2,a\r\r"},
	{"CRLF rows", 0, false, "1,2,a,true\r\n2,3,b,false\r\n"},
	{"bare CR in field", 0, false, "1,2,a\rb,true\n"},
	{"bare CR line", 0, false, "1,,,\n\r\n2,,,\n\r"},
	{"CR CR LF", 0, false, "1,,a\r\r\n"},
	{"blank lines between", 0, false, "1,,,\n\n\n2,,,\n\r\n\n"},
	{"empty fields", 0, false, "1,,,\n"},
	{"quoted empty fields", 0, false, "1,\"\",\"\",\"\"\n"},
	{"too few fields", 0, false, "1,2,a\n"},
	{"too many fields", 0, false, "1,2,a,true,\n"},
	{"one field", 0, false, "1\n"},
	{"quoted fields", 0, false, "\"1\",\"2.5\",\"a,b\",\"true\"\n"},
	{"escaped quotes", 0, false, "1,,\"a\"\"b\"\"\",\n"},
	{"only escaped quote", 0, false, "1,,\"\"\"\",\n"},
	{"multi-line quoted", 0, false, "1,,\"a\nb\r\nc\rd\",true\n2,,x,\n"},
	{"multi-line CRLF end", 0, false, "1,,\"a\r\n\",true\r\n"},
	{"quoted blank line", 0, false, "1,,\"\n\n\",\n"},
	{"quote then CR at EOF", 0, false, "1,,\"a\"\r"},
	{"quote then CR", 0, false, "1,,\"a\"\r,\n"},
	{"quote then CRLF", 0, false, "1,,,\"true\"\r\n"},
	{"bare quote", 0, false, "1,,a\"b,\n"},
	{"bare quote at end", 0, false, "1,,a,true\"\n"},
	{"bare quote later field", 0, false, "1,,\"a\",b\"\n"},
	{"quote not followed by comma", 0, false, "1,,\"a\"b,\n"},
	{"open quote at EOF", 0, false, "1,,\"ab,\n"},
	{"open quote no newline", 0, false, "1,,\"ab"},
	{"quote at EOF", 0, false, "1,,,\""},
	{"bare quote after bad row", 0, false, "x,,,\n1,,a\"b,\n"},
	{"bad row after bare quote", 0, false, "1,,a\"b,\nx,,,\n"},
	{"bad int", 0, false, "1,,,\nx,,,\n"},
	{"ints", 0, false, "+1,,,\n-0,,,\n007,,,\n-9223372036854775808,,,\n9223372036854775807,,,\n123456789012345678,,,\n-123456789012345678,,,\n"},
	{"int plus", 0, false, "+1,,,\n"},
	{"int underscore", 0, false, "1_000,,,\n"},
	{"int hex", 0, false, "0x10,,,\n"},
	{"int space", 0, false, " 1,,,\n"},
	{"int trailing space", 0, false, "1 ,,,\n"},
	{"int minus only", 0, false, "-,,,\n"},
	{"int double minus", 0, false, "--1,,,\n"},
	{"int overflow", 0, false, "9223372036854775808,,,\n"},
	{"int underflow", 0, false, "-9223372036854775809,,,\n"},
	{"int long zeros", 0, false, "0000000000000000000000000001,,,\n"},
	{"int float", 0, false, "1.0,,,\n"},
	{"floats", 0, false, "1,0.1,,\n2,-0,,\n3,-0.0,,\n4,1e3,,\n5,.5,,\n6,5.,,\n7,+2.5,,\n8,1E-3,,\n9,0x1p-2,,\n10,123456789012345,,\n11,1234567890123456,,\n12,12345678.9012345,,\n13,1234567890.123456,,\n14,0.000000000000001,,\n15,-999999999999999,,\n16,4567.3,,\n17,1_0.5,,\n18,9007199254740993,,\n"},
	{"float NaN", 0, false, "1,NaN,,\n"},
	{"float nan", 0, false, "1,nan,,\n"},
	{"float Inf", 0, false, "1,+Inf,,\n"},
	{"float infinity", 0, false, "1,-infinity,,\n"},
	{"float overflow", 0, false, "1,1e400,,\n"},
	{"float underflow", 0, false, "1,1e-400,,\n"},
	{"float two dots", 0, false, "1,1.2.3,,\n"},
	{"float dot", 0, false, "1,.,,\n"},
	{"float minus dot", 0, false, "1,-.,,\n"},
	{"float space", 0, false, "1, 1.5,,\n"},
	{"float minus zero only", 0, false, "1,-0,,\n"},
	{"float zeros both signs", 0, false, "1,-0,,\n2,0,,\n3,-0.0,,\n"},
	{"float negative max", 0, false, "1,-5.5,,\n2,-7.25,,\n"},
	{"bools", 0, false, "1,,,true\n2,,,false\n3,,,true\n"},
	{"bool upper", 0, false, "1,,,TRUE\n"},
	{"bool one", 0, false, "1,,,1\n"},
	{"required empty", 0, false, "1,,,\n,1.5,a,true\n"},
	{"required quoted empty", 0, false, "\"\",,,\n"},
	{"invalid UTF-8", 0, false, "1,,a\xffb,\n"},
	{"invalid UTF-8 quoted", 0, false, "1,,\"a\xff\",\n"},
	{"invalid UTF-8 in int", 0, false, "\xff,,,\n"},
	{"non-UTF-8 separator area", 0, false, "1,\xc3,,\n"},
	{"strings order", 0, false, "1,,b,\n2,,a,\n3,,ab,\n4,,\xc3\xa9,\n5,,,\n6,,A,\n"},
	{"long strings", 0, false, "1,," + strings.Repeat("m", 300) + ",\n2,," + strings.Repeat("m", 256) + ",\n3,," + strings.Repeat("m", 256) + "a,\n4,," + strings.Repeat("m", 255) + "z,\n"},
	{"long string max then bigger", 0, false, "1,," + strings.Repeat("z", 300) + "b,\n2,," + strings.Repeat("z", 256) + "a,\n3,," + strings.Repeat("z", 257) + ",\n"},
	{"long min strings", 0, false, "1,," + strings.Repeat("a", 400) + ",\n2,," + strings.Repeat("a", 256) + ",\n3,," + strings.Repeat("a", 300) + "0,\n"},
	{"long string cut in UTF-8", 0, false, "1,," + strings.Repeat("a", 255) + "\xc3\xa9,\n"},
	{"long cell in reason", 0, false, strings.Repeat("9", 100) + ",,,\n"},
	{"rejected row changes nothing", 0, false, "1,,a,\n2,,b,x\n"},
	{"attest rows", 1, false, "1,7919.1,s0-r1\n2,15838.2,s0-r2\n3,,\n"},
	{"attest CRLF", 1, false, "1,7919.1,s0-r1\r\n2,15838.2,s0-r2\r\n"},
	{"one column null row", 2, false, "a\n\"\"\n"},
	{"one column blank skipped", 2, false, "a\n\nb\n"},
	{"one column empty quoted", 2, false, "\"\"\n"},
	{"one column CR only", 2, false, "\r\n\r\n"},
	{"float int columns", 3, false, "1.5,2\n,\n-0,-0\n"},
	{"bool string", 4, false, "true,\nfalse,\"x,\"\"y\"\"\"\nfalse,z\n"},
	{"bool empty required", 4, false, ",x\n"},
}

func TestCSVMatchesReference(t *testing.T) {
	for _, tc := range csvTrickyCases {
		data := tc.data
		if !tc.raw {
			data = diffHeader(t, tc.schema) + data
		}
		schema := mustSchema(t, diffSchemas[tc.schema])
		for _, p := range diffPlans {
			t.Run(tc.name+"/"+p.name, func(t *testing.T) {
				ref, got := bothCSV(context.Background(), schema, []byte(data), MaxRecordBytes, p.bufSize, p.plan)
				checkSame(t, ref, got)
			})
		}
	}
}

// Small record limits reach the limiter's every case with short inputs.
func TestCSVMatchesReferenceSmallLimits(t *testing.T) {
	for _, tc := range csvTrickyCases {
		data := tc.data
		if !tc.raw {
			data = diffHeader(t, tc.schema) + data
		}
		schema := mustSchema(t, diffSchemas[tc.schema])
		for limit := 1; limit <= 40; limit++ {
			plan := readPlan{seed: uint64(limit), chunk: 9, failAt: -1}
			ref, got := bothCSV(context.Background(), schema, []byte(data), limit, 8, plan)
			if !reflect.DeepEqual(ref, got) {
				t.Fatalf("%s, limit %d: got %+v\nwant %+v", tc.name, limit, got, ref)
			}
		}
	}
}

// Read failures: the same bytes, then the same error, give the same
// outcome, whatever the row the failure lands in.
func TestCSVMatchesReferenceReadErrors(t *testing.T) {
	for _, tc := range csvTrickyCases {
		data := tc.data
		if !tc.raw {
			data = diffHeader(t, tc.schema) + data
		}
		schema := mustSchema(t, diffSchemas[tc.schema])
		for failAt := 0; failAt <= len(data) && failAt < 400; failAt++ {
			plan := readPlan{seed: uint64(failAt), chunk: 11, failAt: failAt}
			ref, got := bothCSV(context.Background(), schema, []byte(data), MaxRecordBytes, 8, plan)
			if !reflect.DeepEqual(ref, got) {
				t.Fatalf("%s, fail at %d: got %+v\nwant %+v", tc.name, failAt, got, ref)
			}
		}
	}
}

// emptyReader never makes progress: both give up the way bufio does.
type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

// stutterReader returns empty reads between its bytes: empties of them
// before each byte.
type stutterReader struct {
	data          []byte
	empties, left int
}

func (r *stutterReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	if r.left < r.empties {
		r.left++
		return 0, nil
	}
	r.left = 0
	p[0], r.data = r.data[0], r.data[1:]
	return 1, nil
}

func TestCSVMatchesReferenceNoProgress(t *testing.T) {
	schema := mustSchema(t, testSchema)
	stutter := func(empties int) func() io.Reader {
		return func() io.Reader { return &stutterReader{data: []byte(goodCSV), empties: empties} }
	}
	for i, r := range []func() io.Reader{
		func() io.Reader { return emptyReader{} },
		func() io.Reader { return io.MultiReader(strings.NewReader("id,score,label,ok\n1,,"), emptyReader{}) },
		stutter(maxEmptyReads - 1),
		stutter(maxEmptyReads),
	} {
		st := newDatasetStats("csv", schema)
		ref := outcome(st, refScanCSV(context.Background(), schema, r(), st, MaxRecordBytes))
		st = newDatasetStats("csv", schema)
		got := outcome(st, scanCSV(context.Background(), schema, r(), st))
		checkSame(t, ref, got)
		if wantValid := i == 2; (got.kind == "valid") != wantValid || !wantValid && !strings.Contains(got.text, io.ErrNoProgress.Error()) {
			t.Fatalf("outcome %+v; want io.ErrNoProgress", got)
		}
	}
}

// Records around MaxRecordBytes itself, with the real limit.
func TestCSVMatchesReferenceLongRecords(t *testing.T) {
	h := diffHeader(t, 0)
	long := strings.Repeat("x", MaxRecordBytes)
	quotedLines := `"` + strings.Repeat("ab\n", MaxRecordBytes/3+1) + `"`
	fits := strings.Repeat("y", MaxRecordBytes-len("1,,,"))
	for _, tc := range []struct{ name, data string }{
		{"unquoted too long", h + "1,,,\n2,," + long + ",\n"},
		{"just fits", h + "1,," + fits + "\n2,,,\n"},
		{"just fits CRLF", h + "1,," + fits[1:] + ",\r\n2,,,\n"},
		{"one byte over", h + "1,," + fits + "z\n"},
		{"quoted lines too long", h + "1,," + quotedLines + ",\n"},
		{"quoted too long", h + "1,,\"" + long + "\",\n"},
		{"bare quote in long line", h + "1,,a\"b\"" + long + ",\n"},
		{"bad quote before limit", h + "1,,\"a\"b" + long + ",\n"},
		{"long header", "id,score,label," + long + "\n"},
		{"long blank run", h + strings.Repeat("\n", 3*MaxRecordBytes) + "1,,,\n"},
		{"long CR run", h + strings.Repeat("\r\n", MaxRecordBytes) + "1,,,\n"},
		{"bare quote then long rows", h + "1,,a\"b,\n" + strings.Repeat("2,,,\n", MaxRecordBytes/5+10)},
		{"long multi-line quoted fits", h + "1,,\"" + strings.Repeat("a\r\n", MaxRecordBytes/3-10) + "\",\n"},
	} {
		for _, p := range diffPlans[:3] {
			t.Run(tc.name+"/"+p.name, func(t *testing.T) {
				ref, got := bothCSV(context.Background(), mustSchema(t, testSchema), []byte(tc.data), MaxRecordBytes, p.bufSize, p.plan)
				checkSame(t, ref, got)
			})
		}
	}
}

// A cancelled context stops both at the same row with the same words.
func TestCSVMatchesReferenceCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var b strings.Builder
	b.WriteString(diffHeader(t, 0))
	for i := range 3 * ctxCheckRows {
		fmt.Fprintf(&b, "%d,,,\n", i)
	}
	for _, data := range []string{b.String(), "id,x\n", ""} {
		ref, got := bothCSV(ctx, mustSchema(t, testSchema), []byte(data), MaxRecordBytes, csvBufSize, readPlan{failAt: -1})
		checkSame(t, ref, got)
	}
}

// Random datasets over the attest shape, valid and nearly valid.
func TestCSVMatchesReferenceRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	cells := []string{"", "0", "-0", "1", "+1", "12", "-7", "4567.3", "-0.5", "1e3", "x", "\"q\"", "\"a,b\"", "\"\"\"\"", "s0-r1", "\xff", "true", "a\"b", "\"a\nb\"", "9223372036854775807"}
	seps := []string{"\n", "\r\n", "\n\n", ","}
	for i := range 400 {
		pick := rng.IntN(len(diffSchemas))
		var b strings.Builder
		b.WriteString(diffHeader(t, pick))
		for range 1 + rng.IntN(30) {
			b.WriteString(cells[rng.IntN(len(cells))])
			b.WriteString(seps[rng.IntN(len(seps))])
		}
		plan := readPlan{seed: uint64(i), chunk: 1 + rng.IntN(16), empties: i%3 == 0, eofLast: i%2 == 0, failAt: -1}
		ref, got := bothCSV(context.Background(), mustSchema(t, diffSchemas[pick]), []byte(b.String()), 1+rng.IntN(64), 1+rng.IntN(32), plan)
		if !reflect.DeepEqual(ref, got) {
			t.Fatalf("case %d %q: got %+v\nwant %+v", i, b.String(), got, ref)
		}
	}
}

func FuzzCSVMatchesReference(f *testing.F) {
	for _, tc := range csvTrickyCases {
		f.Add(uint8(tc.schema), !tc.raw, []byte(tc.data), uint16(0), uint64(0))
		f.Add(uint8(tc.schema), !tc.raw, []byte(tc.data), uint16(9), uint64(len(tc.data))<<8|0x15)
	}
	f.Fuzz(func(t *testing.T, pick uint8, withHeader bool, data []byte, limit uint16, readSeed uint64) {
		i := int(pick) % len(diffSchemas)
		if withHeader {
			data = append([]byte(diffHeader(t, i)), data...)
		}
		max := MaxRecordBytes
		if limit != 0 {
			max = int(limit % 256) // 0 is legal too: every byte is over
		}
		plan := readPlan{seed: readSeed, chunk: int(readSeed>>1) % 32, empties: readSeed&2 != 0, eofLast: readSeed&4 != 0, failAt: -1}
		if readSeed&8 != 0 {
			plan.failAt = int(readSeed>>16) % (len(data) + 1)
		}
		bufSize := 1 + int(readSeed>>4)%64
		ref, got := bothCSV(context.Background(), mustSchema(t, diffSchemas[i]), data, max, bufSize, plan)
		checkSame(t, ref, got)
	})
}

// FuzzRecordLimiter holds the limiter's chunked counting to the former
// byte-by-byte loop: same bytes let through, same error, any read sizes.
func FuzzRecordLimiter(f *testing.F) {
	f.Add([]byte("a,b\n\"c\nd\",e\n"), uint8(3), uint64(1))
	f.Add([]byte(strings.Repeat("x\n", 40)+"\"\n\n\""), uint8(5), uint64(7))
	f.Fuzz(func(t *testing.T, data []byte, max uint8, seed uint64) {
		plan := readPlan{seed: seed, chunk: int(seed % 40), failAt: -1}
		want, wantErr := io.ReadAll(&refRecordLimiter{r: plan.reader(data), max: int(max)})
		got, gotErr := io.ReadAll(&recordLimiter{r: plan.reader(data), max: int(max)})
		if string(got) != string(want) || !errors.Is(gotErr, wantErr) && gotErr != wantErr {
			t.Fatalf("limiter let through %d bytes (%v); reference %d (%v)", len(got), gotErr, len(want), wantErr)
		}
	})
}
