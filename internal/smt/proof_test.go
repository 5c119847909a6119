package smt

import (
	"errors"
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

// proofFixture is a random 1,000-key tree with keys known to be absent.
type proofFixture struct {
	tr     *Tree
	kvs    []KV
	absent [][]byte
}

func newProofFixture(t testing.TB) *proofFixture {
	g := newGen(42)
	f := &proofFixture{kvs: g.inserts(1000)}
	f.tr = mustUpdate(t, New(), f.kvs)
	for range 1000 {
		f.absent = append(f.absent, g.key())
	}
	return f
}

func TestInclusionEveryKey(t *testing.T) {
	f := newProofFixture(t)
	root := f.tr.Root()
	for i, kv := range f.kvs {
		p := f.tr.Prove(kv.Key)
		if err := VerifyInclusion(root, kv.Key, kv.Value, p); err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
		if err := VerifyExclusion(root, kv.Key, p); err == nil {
			t.Fatalf("key %d: an inclusion proof passed as exclusion", i)
		}
		wrong := append([]byte{}, kv.Value...)
		wrong = append(wrong, 'x')
		if err := VerifyInclusion(root, kv.Key, wrong, p); !errors.Is(err, ErrRootMismatch) {
			t.Fatalf("key %d with a wrong value: %v, want ErrRootMismatch", i, err)
		}
		other := f.kvs[(i+1)%len(f.kvs)]
		if err := VerifyInclusion(root, other.Key, other.Value, p); err == nil {
			t.Fatalf("key %d's proof verified key %d", i, (i+1)%len(f.kvs))
		}
	}
}

func TestExclusionAbsentKeys(t *testing.T) {
	f := newProofFixture(t)
	root := f.tr.Root()
	ends := map[bool]int{}
	for i, key := range f.absent {
		p := f.tr.Prove(key)
		ends[p.Other != nil]++
		if err := VerifyExclusion(root, key, p); err != nil {
			t.Fatalf("absent key %d: %v", i, err)
		}
		if err := VerifyInclusion(root, key, nil, p); err == nil {
			t.Fatalf("absent key %d: an exclusion proof passed as inclusion", i)
		}
		// The proof belongs to this key's path: a present key cannot use it.
		kv := f.kvs[i]
		if err := VerifyExclusion(root, kv.Key, p); err == nil {
			t.Fatalf("absent key %d's proof showed present key %d absent", i, i)
		}
	}
	if ends[true] == 0 || ends[false] == 0 {
		t.Fatalf("want both kinds of exclusion: %d at another leaf, %d at an empty subtree", ends[true], ends[false])
	}
}

// Each verification failure names its cause.
func TestVerifyErrors(t *testing.T) {
	f := newProofFixture(t)
	root := f.tr.Root()
	kv := f.kvs[0]
	kh := KeyHash(kv.Key)
	incl := f.tr.Prove(kv.Key)
	var atLeaf, atEmpty *Proof
	var atLeafKey, atEmptyKey types.Hash
	for _, key := range f.absent {
		p := f.tr.Prove(key)
		if p.Other != nil && atLeaf == nil {
			atLeaf, atLeafKey = p, KeyHash(key)
		}
		if p.Other == nil && atEmpty == nil {
			atEmpty, atEmptyKey = p, KeyHash(key)
		}
	}
	edit := func(p *Proof, change func(*Proof)) *Proof {
		c := *p
		c.Siblings = append([]types.Hash(nil), p.Siblings...)
		if p.Other != nil {
			o := *p.Other
			c.Other = &o
		}
		change(&c)
		return &c
	}
	vh := ValueHash(kv.Value)
	cases := []struct {
		name string
		err  error
		want error
	}{
		{"wrong root", verifyInclusion(types.HashOf([]byte("x")), kh, vh, incl), ErrRootMismatch},
		{"nil proof", verifyInclusion(root, kh, vh, nil), ErrMalformed},
		{"depth over 256", verifyInclusion(root, kh, vh, edit(incl, func(p *Proof) { p.Depth = 257 })), ErrMalformed},
		{"negative depth", verifyInclusion(root, kh, vh, edit(incl, func(p *Proof) { p.Depth = -1 })), ErrMalformed},
		{"bit beyond depth", verifyInclusion(root, kh, vh, edit(incl, func(p *Proof) {
			p.setBit(p.Depth)
			p.Siblings = append(p.Siblings, kh)
		})), ErrMalformed},
		{"sibling count", verifyInclusion(root, kh, vh, edit(incl, func(p *Proof) { p.Siblings = p.Siblings[1:] })), ErrMalformed},
		{"zero sibling", verifyInclusion(root, kh, vh, edit(incl, func(p *Proof) { p.Siblings[0] = types.Hash{} })), ErrMalformed},
		{"deepest sibling empty", verifyInclusion(root, kh, vh, edit(incl, func(p *Proof) {
			p.Bitmap[(p.Depth-1)/8] &^= 0x80 >> ((p.Depth - 1) % 8)
			p.Siblings = p.Siblings[:len(p.Siblings)-1]
		})), ErrMalformed},
		{"inclusion ends at other leaf", verifyInclusion(root, atLeafKey, vh, atLeaf), ErrOtherLeaf},
		{"exclusion of a present key", verifyExclusion(root, kh, edit(atLeaf, func(p *Proof) { p.Other.KeyHash = kh })), ErrKeyPresent},
		{"other leaf off the path", verifyExclusion(root, flipBit(atLeafKey, 0), atLeaf), ErrOffPath},
		{"empty end at depth 256", verifyExclusion(root, atEmptyKey, edit(atEmpty, func(p *Proof) {
			p.Depth = MaxDepth
			p.Bitmap, p.Siblings = [32]byte{}, nil
			p.setBit(MaxDepth - 1)
			p.Siblings = []types.Hash{kh}
		})), ErrMalformed},
		{"exclusion wrong root", verifyExclusion(types.HashOf(nil), atEmptyKey, atEmpty), ErrRootMismatch},
	}
	for _, c := range cases {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.err, c.want)
		}
	}
}

// A proof against an old version's root still verifies after updates, and
// fails against the new root once the key changed.
func TestProofsAgainstOldRoot(t *testing.T) {
	f := newProofFixture(t)
	old := f.tr
	var batch []KV
	for _, kv := range f.kvs[:100] {
		batch = append(batch, KV{Key: kv.Key, Value: []byte("changed")})
	}
	newer := mustUpdate(t, old, batch)
	for _, kv := range f.kvs[:100] {
		p := old.Prove(kv.Key)
		if err := VerifyInclusion(old.Root(), kv.Key, kv.Value, p); err != nil {
			t.Fatal(err)
		}
		if err := VerifyInclusion(newer.Root(), kv.Key, kv.Value, p); !errors.Is(err, ErrRootMismatch) {
			t.Fatalf("old proof against new root: %v, want ErrRootMismatch", err)
		}
		if err := VerifyInclusion(newer.Root(), kv.Key, []byte("changed"), newer.Prove(kv.Key)); err != nil {
			t.Fatal(err)
		}
	}
}
