package codec

import (
	"errors"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	w := NewWriter(64)
	w.U8(1)
	w.U16(2)
	w.U32(3)
	w.U64(4)
	w.Bool(true)
	w.Fixed([]byte{9, 9})
	w.VarBytes([]byte("hello"))
	r := NewReader(w.Bytes())
	if r.U8() != 1 || r.U16() != 2 || r.U32() != 3 || r.U64() != 4 || !r.Bool() {
		t.Fatal("integers did not round-trip")
	}
	if string(r.Fixed(2)) != "\x09\x09" || string(r.VarBytes(5)) != "hello" {
		t.Fatal("bytes did not round-trip")
	}
	if err := r.Finish(); err != nil {
		t.Fatal(err)
	}
}

func TestReaderErrors(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		read func(r *Reader)
		want error
	}{
		{"short u64", []byte{1, 2, 3}, func(r *Reader) { r.U64() }, ErrShort},
		{"bad bool", []byte{2}, func(r *Reader) { r.Bool() }, ErrInvalid},
		{"over-long bytes", []byte{0, 0, 0, 9, 1}, func(r *Reader) { r.VarBytes(8) }, ErrTooLong},
		{"length past end", []byte{0, 0, 0, 4, 1}, func(r *Reader) { r.VarBytes(8) }, ErrShort},
		{"huge count", []byte{0xff, 0xff, 0xff, 0xff}, func(r *Reader) { r.Count(1<<32-1, 1) }, ErrShort},
		{"count over max", []byte{0, 0, 1, 0}, func(r *Reader) { r.Count(10, 0) }, ErrTooLong},
		{"trailing", []byte{1, 2}, func(r *Reader) { r.U8() }, ErrTrailing},
		{"version", []byte{7}, func(r *Reader) { r.Version(1) }, ErrVersion},
	}
	for _, c := range cases {
		r := NewReader(c.in)
		c.read(r)
		if err := r.Finish(); !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
	}
}

func TestFirstErrorSticks(t *testing.T) {
	r := NewReader([]byte{1})
	r.U64()
	first := r.Err()
	r.Fail(ErrVersion)
	if r.Err() != first || r.U8() != 0 {
		t.Fatal("a later error replaced the first, or reads went on after it")
	}
}
