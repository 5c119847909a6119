package verify

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"testing"
)

// f32 is the header entry of a one-element F32 tensor at [b, e).
func f32(b, e string) string {
	return `{"dtype":"F32","shape":[1],"data_offsets":[` + b + `,` + e + `]}`
}

func TestModelInvalid(t *testing.T) {
	good := writeSafetensors(t, goodTensors(1), goodMeta)
	one := func(entry string, dataLen int) []byte {
		return rawSafetensors(`{"w":`+entry+`}`, make([]byte, dataLen))
	}
	for _, tc := range []struct {
		name   string
		file   []byte // Size is len(file)
		stream []byte // what Open returns, if not file
		want   string
	}{
		{"file too short", []byte{1, 2, 3}, nil, "file is 3 bytes, too short for the 8-byte header length"},
		{"header length over the limit", binary.LittleEndian.AppendUint64(nil, MaxSafetensorsHeader+1), nil,
			"header length 16777217 is more than the limit of 16777216"},
		{"header past the end", append(binary.LittleEndian.AppendUint64(nil, 100), "{}"...), nil,
			"header length 100 runs past the end of the 10-byte file"},
		{"header not JSON", rawSafetensors("not json", nil), nil, "header: not a JSON object"},
		{"header not UTF-8", rawSafetensors("{\"\xff\":1}", nil), nil, "header: not valid UTF-8"},
		{"header trailing data", rawSafetensors("{} x", nil), nil, "header: more than one JSON value"},
		{"offsets outside", one(f32("0", "4"), 0), nil, `tensor "w": data_offsets [0, 4] run past the 0-byte data area`},
		{"overlap", rawSafetensors(`{"a":`+f32("0", "4")+`,"b":`+f32("2", "6")+`}`, make([]byte, 6)), nil,
			`tensor "b": data_offsets [2, 6] overlap tensor "a"`},
		{"hole", rawSafetensors(`{"b":`+f32("8", "12")+`,"a":`+f32("0", "4")+`}`, make([]byte, 12)), nil,
			`hole in the data area: bytes [4, 8) before tensor "b" belong to no tensor`},
		{"hole at the end", one(f32("0", "4"), 6), nil, `hole in the data area: bytes [4, 6) after tensor "w" belong to no tensor`},
		{"data but no tensor", rawSafetensors(`{}`, make([]byte, 4)), nil, "data area of 4 bytes holds no tensor"},
		{"dtype/shape mismatch", one(`{"dtype":"F32","shape":[2],"data_offsets":[0,4]}`, 4), nil,
			`tensor "w": data_offsets span 4 bytes, but F32 with shape [2] takes 8`},
		{"unknown dtype", one(`{"dtype":"F128","shape":[1],"data_offsets":[0,16]}`, 16), nil, `tensor "w": unknown dtype "F128"`},
		{"dtype not a string", one(`{"dtype":4,"shape":[1],"data_offsets":[0,4]}`, 4), nil, `tensor "w": dtype is not a string`},
		{"negative dim", one(`{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}`, 0), nil,
			`tensor "w": shape[0] = "-1" is not a non-negative integer`},
		{"dim as string", one(`{"dtype":"U8","shape":["2"],"data_offsets":[0,2]}`, 2), nil,
			`tensor "w": shape[0] = "\"2\"" is not a non-negative integer`},
		{"shape overflow", one(`{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,0]}`, 0), nil,
			`tensor "w": shape [4294967296 4294967296] is too large`},
		{"end before begin", one(f32("4", "0"), 4), nil, `tensor "w": data_offsets [4, 0] end before they begin`},
		{"no offsets", one(`{"dtype":"U8","shape":[0]}`, 0), nil, `tensor "w": data_offsets must be [begin, end]`},
		{"no shape", one(`{"dtype":"U8","data_offsets":[0,0]}`, 0), nil, `tensor "w": no shape`},
		{"unknown field", one(`{"dtype":"U8","shape":[0],"data_offsets":[0,0],"foo":1}`, 0), nil, `tensor "w": unknown field "foo"`},
		{"duplicate tensor", rawSafetensors(`{"w":`+f32("0", "4")+`,"w":`+f32("0", "4")+`}`, make([]byte, 4)), nil,
			`header: duplicate key "w"`},
		{"duplicate field", one(`{"dtype":"U8","dtype":"U8","shape":[0],"data_offsets":[0,0]}`, 0), nil,
			`tensor "w": duplicate key "dtype"`},
		{"metadata not a string", rawSafetensors(`{"__metadata__":{"k":1}}`, nil), nil, `__metadata__: value of "k" is not a string`},
		{"metadata null", rawSafetensors(`{"__metadata__":null}`, nil), nil, "__metadata__: not a JSON object"},
		{"truncated, size says so", good[:len(good)-3], nil, `tensor "mask": data_offsets [38, 43] run past the 40-byte data area`},
		{"truncated stream", good, good[:len(good)-3], `tensor "mask": file ends inside its data (truncated)`},
		{"truncated in the header", good, good[:12], "file ends inside the header (truncated)"},
		{"longer than declared", good, append(bytes.Clone(good), 0), "file is longer than its declared"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := modelInput(tc.file)
			if tc.stream != nil {
				in.Open = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(tc.stream)), nil }
			}
			wantInvalid(t, in, tc.want)
		})
	}
}

func FuzzSafetensorsModel(f *testing.F) {
	f.Add(rawSafetensors(`{"__metadata__":{"a":"b"},"w":`+f32("0", "4")+`}`, make([]byte, 4)))
	f.Add(rawSafetensors(`{"a":`+f32("0", "4")+`,"b":`+f32("2", "6")+`}`, make([]byte, 6)))
	f.Add(rawSafetensors(`{"w":{"dtype":"BF16","shape":[2,0],"data_offsets":[0,0]}}  `, nil))
	f.Add([]byte{255, 255, 255, 255, 255, 255, 255, 255, '{'})
	f.Fuzz(func(t *testing.T, file []byte) {
		r1, err1 := Run(context.Background(), modelInput(file))
		r2, err2 := Run(context.Background(), modelInput(file))
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
