package smt

import (
	"bytes"
	"errors"
	"testing"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/types"
)

// sampleProofs returns proofs of each shape with the check that accepts
// each: inclusion (deep and at the root), exclusion at another leaf and at
// an empty subtree, and the empty tree's.
func sampleProofs(t testing.TB) []sampleProof {
	f := newProofFixture(t)
	kv := f.kvs[0]
	out := []sampleProof{{"inclusion", f.tr.Root(), kv.Key, kv.Value, f.tr.Prove(kv.Key)}}
	var leaf, empty bool
	for _, key := range f.absent {
		p := f.tr.Prove(key)
		if p.Other != nil && !leaf {
			leaf = true
			out = append(out, sampleProof{"exclusion at leaf", f.tr.Root(), key, nil, p})
		}
		if p.Other == nil && !empty {
			empty = true
			out = append(out, sampleProof{"exclusion at empty", f.tr.Root(), key, nil, p})
		}
	}
	one := mustUpdate(t, New(), f.kvs[:1])
	out = append(out,
		sampleProof{"inclusion at root", one.Root(), kv.Key, kv.Value, one.Prove(kv.Key)},
		sampleProof{"empty tree", types.Hash{}, kv.Key, nil, New().Prove(kv.Key)})
	return out
}

type sampleProof struct {
	name  string
	root  types.Hash
	key   []byte
	value []byte // nil: an exclusion proof
	p     *Proof
}

func (s sampleProof) verify(p *Proof) error {
	if s.value == nil {
		return VerifyExclusion(s.root, s.key, p)
	}
	return VerifyInclusion(s.root, s.key, s.value, p)
}

func TestEncodeRoundTrip(t *testing.T) {
	for _, s := range sampleProofs(t) {
		enc := s.p.Encode()
		want := 1 + 2 + (s.p.Depth+7)/8 + 32*len(s.p.Siblings) + 1
		if s.p.Other != nil {
			want += 64
		}
		if len(enc) != want || len(enc) > MaxProofSize {
			t.Errorf("%s: %d bytes, want %d", s.name, len(enc), want)
		}
		dec, err := DecodeProof(enc)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if !bytes.Equal(dec.Encode(), enc) {
			t.Fatalf("%s: re-encoding differs", s.name)
		}
		if err := s.verify(dec); err != nil {
			t.Fatalf("%s: decoded proof: %v", s.name, err)
		}
	}
}

// Changing any byte of an encoded proof, cutting it short or extending it
// makes decoding or verification fail.
func TestTamperEveryByte(t *testing.T) {
	for _, s := range sampleProofs(t) {
		enc := s.p.Encode()
		for i := range enc {
			for _, mask := range []byte{0x01, 0x80, 0xff} {
				b := bytes.Clone(enc)
				b[i] ^= mask
				if p, err := DecodeProof(b); err == nil && s.verify(p) == nil {
					t.Fatalf("%s: byte %d ^ %#x still verifies", s.name, i, mask)
				}
			}
		}
		for n := 0; n < len(enc); n++ {
			if _, err := DecodeProof(enc[:n]); err == nil {
				t.Fatalf("%s: accepted the first %d of %d bytes", s.name, n, len(enc))
			}
		}
		if _, err := DecodeProof(append(bytes.Clone(enc), 0)); !errors.Is(err, codec.ErrTrailing) {
			t.Fatalf("%s: trailing byte: %v", s.name, err)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	sib := bytes.Repeat([]byte{7}, 32)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty input", nil, codec.ErrShort},
		{"bad version", cat([]byte{2, 0, 0, 0}), codec.ErrVersion},
		{"depth over 256", cat([]byte{1, 1, 1}, make([]byte, 32), []byte{0}), codec.ErrInvalid},
		{"bit beyond depth", cat([]byte{1, 0, 1, 0xc0}, sib, sib, []byte{0}), ErrMalformed},
		{"zero sibling", cat([]byte{1, 0, 1, 0x80}, make([]byte, 32), []byte{0}), ErrMalformed},
		{"deepest sibling empty", cat([]byte{1, 0, 2, 0x80}, sib, []byte{0}), ErrMalformed},
		{"missing sibling", cat([]byte{1, 0, 1, 0x80}, []byte{0}), codec.ErrShort},
		{"extra sibling", cat([]byte{1, 0, 1, 0x80}, sib, sib, []byte{0}), codec.ErrInvalid},
		{"leaf flag 2", cat([]byte{1, 0, 0, 2}), codec.ErrInvalid},
		{"short other leaf", cat([]byte{1, 0, 0, 1}, sib), codec.ErrShort},
		{"trailing byte", cat([]byte{1, 0, 0, 0, 0}), codec.ErrTrailing},
	}
	for _, c := range cases {
		_, err := DecodeProof(c.in)
		if !errors.Is(err, c.want) || !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want %v and ErrMalformed", c.name, err, c.want)
		}
	}
	// The smallest proofs are accepted: the empty tree's, and a lone leaf.
	for _, in := range [][]byte{{1, 0, 0, 0}, cat([]byte{1, 0, 0, 1}, sib, sib)} {
		if _, err := DecodeProof(in); err != nil {
			t.Errorf("%x: %v", in, err)
		}
	}
}

func FuzzDecodeProof(f *testing.F) {
	for _, s := range sampleProofs(f) {
		f.Add(s.p.Encode())
	}
	f.Add([]byte{})
	f.Add([]byte{1, 1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodeProof(data)
		if err != nil {
			return
		}
		if enc := p.Encode(); !bytes.Equal(enc, data) {
			t.Fatalf("accepted a non-canonical proof:\nin  %x\nout %x", data, enc)
		}
		if err := p.validate(); err != nil {
			t.Fatalf("accepted a proof that fails validation: %v", err)
		}
	})
}
