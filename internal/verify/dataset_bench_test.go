package verify

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

const benchSchema = `{"columns":[{"name":"id","type":"int","required":true},{"name":"score","type":"float","required":true},{"name":"label","type":"string"},{"name":"verified","type":"bool"}]}`

func benchCSV(rows int) []byte {
	var b bytes.Buffer
	b.WriteString("id,score,label,verified\n")
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(&b, "%d,%d.%02d,item-%d,%t\n", i, i%97, i%100, i%13, i%3 == 0)
	}
	return b.Bytes()
}

// BenchmarkScanCSV reports the cost per row of checking a dataset.
func BenchmarkScanCSV(b *testing.B) {
	schema, err := ParseSchema([]byte(benchSchema))
	if err != nil {
		b.Fatal(err)
	}
	data := benchCSV(200_000)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		st, err := ComputeDatasetStats(context.Background(), "csv", schema, bytes.NewReader(data))
		if err != nil || st.Rows != 200_000 {
			b.Fatal(st, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/200_000, "ns/row")
}
