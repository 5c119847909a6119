package verify

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// A reason fits what votes and certificates carry: cut at a character
// boundary and marked, and a reason within the bound (a cut one included)
// is kept as it is, so it hashes to the same digest when a certificate
// repeats it.
func TestReasonIsClipped(t *testing.T) {
	cases := []struct {
		name   string
		reason string
	}{
		{"short", "row 2: bad"},
		{"at the bound", strings.Repeat("a", MaxReasonBytes)},
		{"one over", strings.Repeat("a", MaxReasonBytes+1)},
		{"multi-byte at the cut", strings.Repeat("a", MaxReasonBytes-4) + strings.Repeat("é", 100)},
		{"huge", strings.Repeat("ü", 1<<20)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Invalid("%s", c.reason)
			if len(r.Reason) > MaxReasonBytes || !utf8.ValidString(r.Reason) {
				t.Fatalf("reason of %d bytes (valid UTF-8 %v)", len(r.Reason), utf8.ValidString(r.Reason))
			}
			if len(c.reason) <= MaxReasonBytes && r.Reason != c.reason {
				t.Fatal("a reason within the bound was changed")
			}
			if len(c.reason) > MaxReasonBytes && !strings.HasSuffix(r.Reason, "...") {
				t.Fatal("a cut reason is not marked")
			}
			if again := Invalid("%s", r.Reason); again != r {
				t.Fatal("clipping a clipped reason changed it")
			}
		})
	}
}

// A shape is bounded in dimensions, so a header of millions of them is
// refused at once with a short reason, not decoded into gigabytes; long
// tensor names are quoted short.
func TestHostileSafetensorsHeaders(t *testing.T) {
	file := func(hdr string, data int) []byte {
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
		return append(append(b, hdr...), make([]byte, data)...)
	}
	manyDims := `{"w":{"dtype":"U8","data_offsets":[0,2],"shape":[` + strings.Repeat("1,", 1<<20) + `2]}}`
	longName := strings.Repeat("t", 100_000)
	cases := []struct {
		name, hdr string
		data      int
		want      string
	}{
		{"a million dimensions", manyDims, 2, "shape has more than 64 elements"},
		{"64 dimensions", `{"w":{"dtype":"U8","data_offsets":[0,2],"shape":[` + strings.Repeat("1,", 63) + `2]}}`, 2, ""},
		{"three offsets", `{"w":{"dtype":"U8","data_offsets":[0,1,2],"shape":[2]}}`, 2, "data_offsets has more than 2 elements"},
		{"a string dimension", `{"w":{"dtype":"U8","data_offsets":[0,2],"shape":["2"]}}`, 2, `shape[0] = "\"2\"" is not a non-negative integer`},
		{"a long name, unknown dtype", `{"` + longName + `":{"dtype":"X","data_offsets":[0,2],"shape":[2]}}`, 2, "unknown dtype"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := file(c.hdr, c.data)
			_, err := ReadSafetensors(context.Background(), bytes.NewReader(f), uint64(len(f)))
			if c.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var rej *Rejection
			if !errors.As(err, &rej) {
				t.Fatalf("got %v, want a rejection", err)
			}
			if !strings.Contains(rej.Reason, c.want) || len(rej.Reason) > 512 {
				t.Fatalf("reason %.200q (%d bytes), want one mentioning %q and short", rej.Reason, len(rej.Reason), c.want)
			}
		})
	}
}
