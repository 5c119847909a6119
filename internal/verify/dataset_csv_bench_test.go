package verify

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// attestSchema and attestCSV mirror the dataset internal/bench/attest.go
// uploads, the shape the per-row budget is set for.
const attestSchema = `{"columns":[{"name":"id","type":"int","required":true},{"name":"value","type":"float"},{"name":"label","type":"string"}]}`

// attestCSV makes rows of the attest dataset; label is the format of
// its string cell.
func attestCSV(rows int, label string) []byte {
	var b bytes.Buffer
	b.WriteString("id,value,label\n")
	for row := 1; row <= rows; row++ {
		fmt.Fprintf(&b, "%d,%d.%d,"+label+"\n", row, (row*7919)%100000, row%10, 0, row%977)
	}
	return b.Bytes()
}

// BenchmarkScanCSVAttest reports the cost per row of the attest dataset.
func BenchmarkScanCSVAttest(b *testing.B) {
	benchAttest(b, attestCSV(200_000, "s%d-r%d"))
}

// BenchmarkScanCSVQuoted is the same with every label quoted, the path
// that copies and unescapes.
func BenchmarkScanCSVQuoted(b *testing.B) {
	benchAttest(b, attestCSV(200_000, `"s%d ""r%d"""`))
}

func benchAttest(b *testing.B, data []byte) {
	schema, err := ParseSchema([]byte(attestSchema))
	if err != nil {
		b.Fatal(err)
	}
	const rows = 200_000
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		st, err := ComputeDatasetStats(context.Background(), "csv", schema, bytes.NewReader(data))
		if err != nil || st.Rows != rows {
			b.Fatal(st, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
}
