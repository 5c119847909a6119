package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

type testTensor struct {
	name, dtype string
	shape       []uint64
	data        []byte
}

// writeSafetensors lays tensors out back to back in the given order and
// pads the header with spaces to a multiple of 8, as the reference writer
// does.
func writeSafetensors(t *testing.T, tensors []testTensor, meta map[string]string) []byte {
	t.Helper()
	hdr := map[string]any{}
	if meta != nil {
		hdr["__metadata__"] = meta
	}
	var data []byte
	for _, tt := range tensors {
		begin := len(data)
		data = append(data, tt.data...)
		hdr[tt.name] = map[string]any{"dtype": tt.dtype, "shape": tt.shape, "data_offsets": []int{begin, len(data)}}
	}
	js, err := json.Marshal(hdr)
	if err != nil {
		t.Fatal(err)
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	return rawSafetensors(string(js), data)
}

// rawSafetensors frames a hand-written header, for files no honest writer
// would produce.
func rawSafetensors(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

func modelInput(b []byte) Input {
	return Input{
		Kind: KindModel, Format: "safetensors", Size: uint64(len(b)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
	}
}

func randBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func goodTensors(seed uint64) []testTensor {
	rng := rand.New(rand.NewPCG(seed, seed))
	return []testTensor{
		{"b.weight", "F32", []uint64{2, 3}, randBytes(rng, 24)},
		{"a.bias", "BF16", []uint64{3}, randBytes(rng, 6)},
		{"empty", "F16", []uint64{0, 4}, nil},
		{"scalar", "I64", []uint64{}, randBytes(rng, 8)},
		{"mask", "BOOL", []uint64{5}, randBytes(rng, 5)},
	}
}

var goodMeta = map[string]string{"format": "pt", "z": "last"}

func TestModelGood(t *testing.T) {
	tensors := goodTensors(1)
	file := writeSafetensors(t, tensors, goodMeta)
	r1, err1 := Run(context.Background(), modelInput(file))
	r2, err2 := Run(context.Background(), modelInput(file))
	if err1 != nil || err2 != nil || !r1.Valid || r1 != r2 {
		t.Fatalf("runs differ or fail: %+v %v / %+v %v", r1, err1, r2, err2)
	}
	m, err := ReadSafetensors(context.Background(), bytes.NewReader(file), uint64(len(file)))
	if err != nil {
		t.Fatalf("ReadSafetensors: %v", err)
	}
	if m.Digest() != r1.Digest {
		t.Fatal("Run digest differs from the index digest")
	}
	names := []string{"a.bias", "b.weight", "empty", "mask", "scalar"}
	if len(m.Tensors) != len(names) || m.Metadata["z"] != "last" || len(m.Metadata) != 2 {
		t.Fatalf("index = %+v", m)
	}
	byName := map[string]testTensor{}
	for _, tt := range tensors {
		byName[tt.name] = tt
	}
	for i, got := range m.Tensors {
		want := byName[names[i]]
		if got.Name != names[i] || got.DType != want.dtype || got.Hash != sha256.Sum256(want.data) ||
			got.End-got.Begin != uint64(len(want.data)) {
			t.Fatalf("tensor %d = %+v; want %s with hash of its %d bytes", i, got, names[i], len(want.data))
		}
	}
}

// The digest covers every tensor byte, the layout and the metadata, and
// nothing else: header key order and padding do not change it.
func TestModelDigest(t *testing.T) {
	base := runValid(t, modelInput(writeSafetensors(t, goodTensors(1), goodMeta)))
	flipped := goodTensors(1)
	flipped[0].data[7] ^= 1
	moved := goodTensors(1)
	moved[0], moved[1] = moved[1], moved[0] // same tensors, other offsets
	for _, tc := range []struct {
		name    string
		file    []byte
		changes bool
	}{
		{"one bit of one tensor", writeSafetensors(t, flipped, goodMeta), true},
		{"tensor order in the data area", writeSafetensors(t, moved, goodMeta), true},
		{"metadata value", writeSafetensors(t, goodTensors(1), map[string]string{"format": "pt", "z": "other"}), true},
		{"no metadata", writeSafetensors(t, goodTensors(1), nil), true},
		{"header key order and padding", reorderedHeader(t), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := runValid(t, modelInput(tc.file)); (d != base) != tc.changes {
				t.Fatalf("digest changed = %v, want %v", d != base, tc.changes)
			}
		})
	}
}

// reorderedHeader writes goodTensors(1) with a hand-ordered, unpadded
// header: the same index as writeSafetensors gives.
func reorderedHeader(t *testing.T) []byte {
	t.Helper()
	ts := goodTensors(1)
	var data []byte
	for _, tt := range ts {
		data = append(data, tt.data...)
	}
	hdr := `{"scalar":{"shape":[],"dtype":"I64","data_offsets":[30,38]},` +
		`"mask":{"data_offsets":[38,43],"dtype":"BOOL","shape":[5]},` +
		`"__metadata__":{"z":"last","format":"pt"},` +
		`"empty":{"dtype":"F16","shape":[0,4],"data_offsets":[30,30]},` +
		`"b.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},` +
		`"a.bias":{"dtype":"BF16","shape":[3],"data_offsets":[24,30]}}`
	return rawSafetensors(hdr, data)
}

func TestModelStreamsInOneReadPass(t *testing.T) {
	file := writeSafetensors(t, goodTensors(3), nil)
	in := modelInput(file)
	in.Open = func() (io.ReadCloser, error) {
		// No Seek, no ReadAt: only the forward stream.
		return io.NopCloser(struct{ io.Reader }{bytes.NewReader(file)}), nil
	}
	runValid(t, in)
}

func TestModelContextCancel(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	file := writeSafetensors(t, []testTensor{{"big", "U8", []uint64{3 * hashChunk}, randBytes(rng, 3*hashChunk)}}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, modelInput(file))
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), `stopped in tensor "big"`) {
		t.Fatalf("err = %v; want a context error naming the tensor", err)
	}
}
