package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// rowSource makes a dataset row by row as it is read: the file never
// exists whole, so a verifier that buffered it would show in the heap.
type rowSource struct {
	header string
	rows   int
	row    func(i int) string
	onRow  func(i int) // optional hook, called as row i is made
	next   int         // 0 is the header, i+1 is row i
	buf    []byte
}

func (s *rowSource) Read(p []byte) (int, error) {
	for len(s.buf) == 0 {
		switch {
		case s.next > s.rows:
			return 0, io.EOF
		case s.next == 0:
			s.buf = append(s.buf[:0], s.header...)
		default:
			if s.onRow != nil {
				s.onRow(s.next - 1)
			}
			s.buf = append(s.buf[:0], s.row(s.next-1)...)
		}
		s.next++
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

func TestDatasetStreamsLargeInput(t *testing.T) {
	const rows = 200_000
	pad := strings.Repeat("x", 180) // ~200-byte rows: ~40 MB in all
	for _, tc := range []struct {
		format, header string
		row            func(i int, score float64) string
	}{
		{"csv", "id,score,label,ok\n", func(i int, score float64) string {
			return fmt.Sprintf("%d,%g,row-%06d-%s,%t\n", i, score, i, pad, i%2 == 0)
		}},
		{"jsonl", "", func(i int, score float64) string {
			return fmt.Sprintf(`{"id":%d,"score":%g,"label":"row-%06d-%s","ok":%t}`+"\n", i, score, i, pad, i%2 == 0)
		}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			var heap uint64
			src := &rowSource{header: tc.header, rows: rows,
				row: func(i int) string { return tc.row(i, rng.Float64()) },
				onRow: func(i int) {
					if i == rows/2 { // halfway: ~20 MB read, none of it should be live
						var ms runtime.MemStats
						runtime.GC()
						runtime.ReadMemStats(&ms)
						heap = ms.HeapAlloc
					}
				}}
			st, err := ComputeDatasetStats(context.Background(), tc.format, mustSchema(t, testSchema), src)
			if err != nil {
				t.Fatalf("ComputeDatasetStats: %v", err)
			}
			id, label := st.Columns[0], st.Columns[2]
			if st.Rows != rows || id.Min.Int != 0 || id.Max.Int != rows-1 || label.Max.Str != fmt.Sprintf("row-%06d-%s", rows-1, pad) {
				t.Fatalf("stats: rows %d id [%v, %v] label max %v", st.Rows, id.Min, id.Max, label.Max)
			}
			if heap == 0 || heap > 4<<20 {
				t.Fatalf("live heap halfway through = %d bytes; the verifier is not streaming", heap)
			}
		})
	}
}

func TestDatasetContextCancel(t *testing.T) {
	for _, format := range []string{"csv", "jsonl"} {
		ctx, cancel := context.WithCancel(context.Background())
		src := &rowSource{rows: 3 * ctxCheckRows,
			row: func(i int) string {
				if format == "csv" {
					return fmt.Sprintf("%d,,,\n", i)
				}
				return fmt.Sprintf("{\"id\":%d}\n", i)
			},
			onRow: func(i int) {
				if i == ctxCheckRows/2 {
					cancel()
				}
			}}
		if format == "csv" {
			src.header = "id,score,label,ok\n"
		}
		_, err := ComputeDatasetStats(ctx, format, mustSchema(t, testSchema), src)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: err = %v; want context.Canceled", format, err)
		}
		if src.next > 2*ctxCheckRows+2 {
			t.Fatalf("%s: read %d rows after cancel; want at most one check interval", format, src.next)
		}
	}
}

// No verdict without the bytes: a failed open or an unknown format is an
// error, never an invalid verdict members would sign.
func TestDatasetErrors(t *testing.T) {
	in := datasetInput("csv", testSchema, goodCSV)
	in.Open = func() (io.ReadCloser, error) { return nil, errors.New("blob gone") }
	if _, err := Run(context.Background(), in); err == nil || !strings.Contains(err.Error(), "blob gone") {
		t.Fatalf("open failure: err = %v", err)
	}
	if _, err := Run(context.Background(), datasetInput("parquet", testSchema, goodCSV)); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("unknown format: err = %v; want ErrUnsupported", err)
	}
}

func FuzzDataset(f *testing.F) {
	f.Add([]byte(testSchema), false, []byte(goodCSV))
	f.Add([]byte(testSchema), true, []byte(goodJSONL))
	f.Add([]byte(testSchema), false, []byte("id,score,label,ok\n1,\"a\"\"b\nc\",x,\n2,,,\r\n"))
	f.Add([]byte(testSchema), true, []byte("{\"id\":1,\"label\":\"\\ud800\"}\n\n \n"))
	f.Add([]byte(`{"columns":[{"name":"a","type":"string","required":true}]}`), false, []byte("a\n\"\"\n"))
	f.Fuzz(func(t *testing.T, schema []byte, jsonl bool, data []byte) {
		format := "csv"
		if jsonl {
			format = "jsonl"
		}
		in := datasetInput(format, string(schema), string(data))
		r1, err1 := Run(context.Background(), in)
		r2, err2 := Run(context.Background(), in)
		if err1 != nil || err2 != nil {
			t.Fatalf("Run errors on in-memory bytes: %v / %v", err1, err2)
		}
		if r1 != r2 {
			t.Fatalf("two runs disagree: %+v / %+v", r1, r2)
		}
		if !r1.Valid && r1.Reason == "" {
			t.Fatal("invalid verdict without a reason")
		}
	})
}
