package verify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"strconv"
	"unicode/utf8"
)

// MaxSafetensorsHeader bounds the JSON header a member parses in memory.
const MaxSafetensorsHeader = 16 << 20

// dtypeSizes are the safetensors dtypes a model may use, with the bytes
// one element takes.
var dtypeSizes = map[string]uint64{
	"F64": 8, "F32": 4, "F16": 2, "BF16": 2,
	"I64": 8, "I32": 4, "I16": 2, "I8": 1,
	"U64": 8, "U32": 4, "U16": 2, "U8": 1,
	"BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1,
}

// Tensor is one entry of a safetensors index. Begin and End are offsets
// into the data area, which starts after the header.
type Tensor struct {
	Name       string
	DType      string
	Shape      []uint64
	Begin, End uint64
	Hash       [32]byte // SHA-256 of the tensor's bytes
}

// Safetensors is a verified safetensors file's index: every tensor, sorted
// by name, and the optional string-to-string metadata.
type Safetensors struct {
	HeaderLen uint64
	Tensors   []Tensor
	Metadata  map[string]string
}

// parseHeader reads the JSON header: an object mapping tensor names to
// {"dtype","shape","data_offsets"} plus an optional "__metadata__". It
// returns the tensors in file order, each checked on its own (dtype known,
// size matching the shape, inside a data area of dataLen bytes); how they
// fit together is checkLayout's job.
func parseHeader(hdr []byte, dataLen uint64) ([]Tensor, map[string]string, error) {
	// encoding/json would quietly turn invalid UTF-8 into U+FFFD.
	if !utf8.Valid(hdr) {
		return nil, nil, reject("header: not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	var tensors []Tensor
	var meta map[string]string
	err := eachKey(dec, "header", func(key string) error {
		if key == "__metadata__" {
			m, err := parseMetadata(dec)
			meta = m
			return err
		}
		t, err := parseTensor(dec, key, dataLen)
		tensors = append(tensors, t)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	// The format pads the header with spaces; anything else is hidden data.
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, reject("header: more than one JSON value")
	}
	return tensors, meta, nil
}

// eachKey reads one JSON object from dec, calling f with each key; f must
// consume the key's value. Duplicate keys are refused: members must not
// depend on which copy encoding/json would keep.
// where names the object in a reason.
func eachKey(dec *json.Decoder, where string, f func(key string) error) error {
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return reject("%s: not a JSON object", where)
	}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok {
			return reject("%s: malformed JSON", where)
		}
		if seen[key] {
			return reject("%s: duplicate key %s", where, quoteCell(key))
		}
		seen[key] = true
		if err := f(key); err != nil {
			return err
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return reject("%s: malformed JSON", where)
	}
	return nil
}

func parseMetadata(dec *json.Decoder) (map[string]string, error) {
	meta := make(map[string]string)
	err := eachKey(dec, "__metadata__", func(key string) error {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return reject("__metadata__: malformed JSON")
		}
		var s string
		if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			return reject("__metadata__: value of %s is not a string", quoteCell(key))
		}
		meta[key] = s
		return nil
	})
	return meta, err
}

// parseTensor reads one tensor entry and checks it on its own.
func parseTensor(dec *json.Decoder, name string, dataLen uint64) (Tensor, error) {
	t := Tensor{Name: name}
	var offsets []uint64
	var haveDType, haveShape bool
	where := fmt.Sprintf("tensor %s", quoteCell(name))
	err := eachKey(dec, where, func(key string) error {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return reject("%s: malformed JSON", where)
		}
		var err error
		switch key {
		case "dtype":
			haveDType = true
			if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &t.DType) != nil {
				err = errors.New("dtype is not a string")
			}
		case "shape":
			haveShape = true
			t.Shape, err = uintArray(raw, "shape", MaxTensorDims)
		case "data_offsets":
			offsets, err = uintArray(raw, "data_offsets", 2)
		default:
			err = fmt.Errorf("unknown field %s", quoteCell(key))
		}
		if err != nil {
			return reject("%s: %v", where, err)
		}
		return nil
	})
	if err != nil {
		return t, err
	}
	switch {
	case !haveDType:
		return t, reject("tensor %s: no dtype", quoteCell(name))
	case !haveShape:
		return t, reject("tensor %s: no shape", quoteCell(name))
	case len(offsets) != 2:
		return t, reject("tensor %s: data_offsets must be [begin, end]", quoteCell(name))
	}
	t.Begin, t.End = offsets[0], offsets[1]
	return t, checkTensor(t, dataLen)
}

// MaxTensorDims bounds a tensor's shape; real models use a handful of
// dimensions. Without it, a 16 MiB header of one-element dimensions took
// a gigabyte to decode and made a 16 MB reason.
const MaxTensorDims = 64

// uintArray reads a JSON array of at most max base-10 non-negative
// integers that fit in a uint64. Strings, fractions and exponents are
// refused. It walks the tokens, so a long array costs no more than max
// elements before it is refused.
func uintArray(raw json.RawMessage, what string, max int) ([]uint64, error) {
	if len(raw) == 0 || raw[0] != '[' {
		return nil, fmt.Errorf("%s is not an array", what)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%s is not an array", what)
	}
	var out []uint64
	for i := 0; dec.More(); i++ {
		if i == max {
			return nil, fmt.Errorf("%s has more than %d elements", what, max)
		}
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%s is not an array", what)
		}
		num, ok := tok.(json.Number)
		x, perr := strconv.ParseUint(string(num), 10, 64)
		if !ok || perr != nil {
			return nil, fmt.Errorf("%s[%d] = %s is not a non-negative integer", what, i, quoteCell(tokenText(tok)))
		}
		out = append(out, x)
	}
	if _, err := dec.Token(); err != nil { // the closing ]
		return nil, fmt.Errorf("%s is not an array", what)
	}
	return out, nil
}

// tokenText prints a JSON token as it would appear in the file, near
// enough for a reason: strings quoted, delimiters as themselves.
func tokenText(tok json.Token) string {
	switch v := tok.(type) {
	case string:
		b, _ := json.Marshal(v)
		return string(b)
	case json.Delim:
		return v.String()
	case nil:
		return "null"
	}
	return fmt.Sprint(tok)
}

// checkTensor checks what one entry can show by itself: a known dtype, a
// byte length that matches dtype and shape, and offsets inside the data
// area.
func checkTensor(t Tensor, dataLen uint64) error {
	size, ok := dtypeSizes[t.DType]
	if !ok {
		return reject("tensor %s: unknown dtype %s", quoteCell(t.Name), quoteCell(t.DType))
	}
	want := size
	for _, d := range t.Shape {
		hi, lo := bits.Mul64(want, d)
		if hi != 0 {
			return reject("tensor %s: shape %v is too large", quoteCell(t.Name), t.Shape)
		}
		want = lo
	}
	if t.End < t.Begin {
		return reject("tensor %s: data_offsets [%d, %d] end before they begin", quoteCell(t.Name), t.Begin, t.End)
	}
	if got := t.End - t.Begin; got != want {
		return reject("tensor %s: data_offsets span %d bytes, but %s with shape %v takes %d", quoteCell(t.Name), got, t.DType, t.Shape, want)
	}
	if t.End > dataLen {
		return reject("tensor %s: data_offsets [%d, %d] run past the %d-byte data area", quoteCell(t.Name), t.Begin, t.End, dataLen)
	}
	return nil
}
