package safety_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/lazchain/lazchain/internal/safety"
)

// FuzzDecodeData: decoding never panics, every failure is ErrCorrupt (so
// New refuses to start), and whatever decodes is exactly what Encode writes
// back. The last property means one state has one file: no two encodings
// that a reader could take for different states.
//
// A fuzzer cannot forge SHA-256, so raw inputs almost never get past the
// checksum. Each input is therefore also tried as a body with a correct
// checksum appended, which puts the parser behind the checksum in reach.
func FuzzDecodeData(f *testing.F) {
	for _, c := range sampleCases {
		enc := encode(c.data)
		f.Add(enc)                        // a whole file
		f.Add(enc[:len(enc)-sha256.Size]) // a body, sealed by the target
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkDecode(t, in)
		sum := sha256.Sum256(in)
		checkDecode(t, append(bytes.Clone(in), sum[:]...))
	})
}

func checkDecode(t *testing.T, in []byte) {
	d, err := safety.DecodeData(in)
	if err != nil {
		if !errors.Is(err, safety.ErrCorrupt) {
			t.Fatalf("error %v does not wrap ErrCorrupt", err)
		}
		return
	}
	if out := d.Encode(); !bytes.Equal(out, in) {
		t.Fatalf("decoded %+v re-encodes to\n %x\nnot the input\n %x", d, out, in)
	}
}

// TestDecodeDataSeeds runs the fuzz seeds' round trip as a plain test, so
// it holds in every `go test`, fuzzing or not.
func TestDecodeDataSeeds(t *testing.T) {
	for _, c := range sampleCases {
		t.Run(c.name, func(t *testing.T) {
			enc := encode(c.data)
			d, err := safety.DecodeData(enc)
			if err != nil {
				t.Fatal(err)
			}
			sameData(t, d, c.data)
			checkDecode(t, enc)
		})
	}
}
