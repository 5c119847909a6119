package txindex

import (
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

// Hashes that share their first eight bytes, as anyone can arrange, are
// told apart: each finds its own location, and a hash never added finds
// nothing even when its prefix is held.
func TestGenerationPrefixCollisions(t *testing.T) {
	h := func(first, last byte) types.Hash {
		var x types.Hash
		for i := range 8 {
			x[i] = first
		}
		x[31] = last
		return x
	}
	g := newGeneration()
	adds := []Entry{
		{Hash: h(1, 1), Loc: Loc{Height: 10, Index: 0}},
		{Hash: h(1, 2), Loc: Loc{Height: 10, Index: 1}},
		{Hash: h(1, 3), Loc: Loc{Height: 11, Index: 0}},
		{Hash: h(2, 1), Loc: Loc{Height: 11, Index: 1}},
		{Hash: h(1, 2), Loc: Loc{Height: 12, Index: 5}}, // again, later: the first stays
		{Hash: h(1, 1), Loc: Loc{Height: 12, Index: 6}},
	}
	for _, e := range adds {
		g.add(e)
	}
	cases := []struct {
		hash types.Hash
		want Loc
		ok   bool
	}{
		{h(1, 1), Loc{Height: 10, Index: 0}, true},
		{h(1, 2), Loc{Height: 10, Index: 1}, true},
		{h(1, 3), Loc{Height: 11, Index: 0}, true},
		{h(2, 1), Loc{Height: 11, Index: 1}, true},
		{h(1, 4), Loc{}, false},
		{h(3, 1), Loc{}, false},
	}
	for _, c := range cases {
		got, ok := g.get(c.hash)
		if ok != c.ok || got != c.want {
			t.Errorf("get %x…%x = %+v, %v; want %+v, %v", c.hash[:2], c.hash[31], got, ok, c.want, c.ok)
		}
	}
	if g.size() != len(adds) {
		t.Fatalf("size %d, want every add (%d) kept for the table", g.size(), len(adds))
	}
}
