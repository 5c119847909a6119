package txindex

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

func TestValueRoundTripAndBadValues(t *testing.T) {
	for _, l := range []Loc{{}, {Height: 1, Index: 0}, {Height: 1<<64 - 1, Index: 1<<32 - 1}, {Height: 300, Index: 70000}} {
		got, err := decodeValue(appendValue(nil, l))
		if err != nil || got != l {
			t.Fatalf("round trip of %+v: %+v, %v", l, got, err)
		}
	}
	tooBig := binary.AppendUvarint(binary.AppendUvarint(nil, 5), 1<<32)
	for _, tc := range []struct {
		name string
		v    []byte
		want string
	}{
		{"empty", nil, "bad height"},
		{"height only", []byte{5}, "bad index"},
		{"unterminated height", []byte{0x80, 0x80}, "bad height"},
		{"trailing byte", []byte{5, 1, 0}, "bad index"},
		{"index past 32 bits", tooBig, "bad index"},
	} {
		if _, err := decodeValue(tc.v); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
}

// TestLegacyEntriesStayReadable: a node that indexed in the first format
// (whole hashes, fixed values, under 'T') finds those entries after the
// upgrade, and the new format's marker goes on from the old one.
func TestLegacyEntriesStayReadable(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	old := block(1, 5)
	kvs := []store.KV{{Key: []byte{legacyPrefix}, Value: binary.BigEndian.AppendUint64(nil, 1)}}
	sortEntries(old)
	for _, e := range old {
		v := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(nil, e.Height), e.Index)
		kvs = append(kvs, store.KV{Key: legacyKey(e.Hash), Value: v})
	}
	if err := s.IngestSorted(kvs); err != nil {
		t.Fatal(err)
	}
	x, err := Open(s, confirmTest, 4, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if x.Through() != 1 {
		t.Fatalf("through %d, want the legacy marker's 1", x.Through())
	}
	x.Add(2, block(2, 5))
	waitThrough(t, x, 2)
	wantAll(t, x, 1, 2, 5)
	x, s = reopen(t, x, s, dir, 4)
	if x.Through() != 2 {
		t.Fatalf("through %d after reopen, want 2", x.Through())
	}
	wantAll(t, x, 1, 2, 5)
	if _, err := s.Get(legacyKey(block(2, 1)[0].Hash)); err == nil {
		t.Fatal("a new entry was written in the legacy format")
	}
}

// TestForgedCollisionKeepsOne: two hashes that share the stored key
// become one stored entry, the lower hash's, and the ingest does not fail
// on the duplicate key. In memory both are exact; from the store, the
// confirmation turns the other one's hit into a miss, not a wrong answer.
func TestForgedCollisionKeepsOne(t *testing.T) {
	s := openStore(t, t.TempDir())
	defer s.Close()
	lo := block(7, 1)[0].Hash
	hi := lo
	hi[len(hi)-1] ^= 1
	if string(hi[:]) < string(lo[:]) {
		lo, hi = hi, lo
	}
	at := map[types.Hash]Loc{hi: {Height: 9, Index: 0}, lo: {Height: 9, Index: 1}}
	confirm := func(h types.Hash, l Loc) (bool, error) { return at[h] == l, nil }
	x, err := Open(s, confirm, 1<<20, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	x.Add(9, []Entry{{Hash: hi, Loc: at[hi]}, {Hash: lo, Loc: at[lo]}})
	for h, want := range at {
		if l, ok, err := x.Lookup(h); !ok || err != nil || l != want {
			t.Fatalf("in memory: %+v %v %v, want %+v", l, ok, err, want)
		}
	}
	if err := x.Close(); err != nil {
		t.Fatalf("ingest with a shared key: %v", err)
	}
	x, err = Open(s, confirm, 1<<20, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if l, ok, err := x.Lookup(lo); !ok || err != nil || l != at[lo] {
		t.Fatalf("stored lower hash: %+v %v %v, want %+v", l, ok, err, at[lo])
	}
	if l, ok, err := x.Lookup(hi); ok || err != nil {
		t.Fatalf("stored higher hash: %+v %v %v, want a miss", l, ok, err)
	}
}

func TestBadNewMarker(t *testing.T) {
	s := openStore(t, t.TempDir())
	defer s.Close()
	if err := s.IngestSorted([]store.KV{{Key: []byte{legacyPrefix}, Value: []byte{1}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(s, confirmTest, 0, 0); err == nil || !strings.Contains(err.Error(), "marker") {
		t.Fatalf("err = %v, want a marker error", err)
	}
}
