package blocklog

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
)

func record(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func mustOpen(t *testing.T, dir string, segSize int64) *Log {
	t.Helper()
	l, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if segSize > 0 {
		l.segSize = segSize
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func mustAppend(t *testing.T, l *Log, data []byte) Loc {
	t.Helper()
	loc, err := l.Append(data)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func checkRead(t *testing.T, l *Log, loc Loc, want []byte) {
	t.Helper()
	got, err := l.Read(loc)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read %+v: %d bytes, %v; want %d bytes", loc, len(got), err, len(want))
	}
}

// Records round-trip across segment rotation and a reopen, and appends
// after the reopen land past everything written before it.
func TestAppendReadAcrossSegmentsAndReopen(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 2))
	l := mustOpen(t, dir, 10_000)
	var locs []Loc
	var recs [][]byte
	for i := range 20 {
		rec := record(r, 100+i*431)
		locs, recs = append(locs, mustAppend(t, l, rec)), append(recs, rec)
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	if locs[len(locs)-1].Seg == 0 {
		t.Fatalf("no rotation at a 10,000-byte segment size: %+v", locs[len(locs)-1])
	}
	for i := range locs {
		checkRead(t, l, locs[i], recs[i])
	}
	l.Close()

	l = mustOpen(t, dir, 10_000)
	more := record(r, 5000)
	loc := mustAppend(t, l, more)
	if last := locs[len(locs)-1]; loc.Seg < last.Seg || (loc.Seg == last.Seg && loc.Off <= last.Off) {
		t.Fatalf("append after reopen at %+v, not past %+v", loc, last)
	}
	checkRead(t, l, loc, more)
	for i := range locs {
		checkRead(t, l, locs[i], recs[i])
	}
}

// Bytes a crash left past the last synced record (a torn append) are
// skipped: the next append starts after them and reads stay exact.
func TestTornTailIsSkipped(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, 0)
	a := mustAppend(t, l, []byte("first block"))
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	l.Close()
	f, err := os.OpenFile(l.path(0), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0xde, 0xad, 0xbe}) // half a checksum, no data
	f.Close()

	l = mustOpen(t, dir, 0)
	b := mustAppend(t, l, []byte("second block"))
	checkRead(t, l, a, []byte("first block"))
	checkRead(t, l, b, []byte("second block"))
}

// A location that does not name a whole, intact record is an error that
// says so, never other bytes.
func TestBadLocations(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, 0)
	loc := mustAppend(t, l, bytes.Repeat([]byte{7}, 300))
	mustAppend(t, l, bytes.Repeat([]byte{8}, 300))
	cases := []struct {
		name string
		loc  Loc
	}{
		{"unknown segment", Loc{Seg: 9, Off: loc.Off, Len: loc.Len}},
		{"shifted", Loc{Seg: 0, Off: loc.Off + 1, Len: loc.Len}},
		{"short", Loc{Seg: 0, Off: loc.Off, Len: loc.Len - 1}},
		{"long", Loc{Seg: 0, Off: loc.Off, Len: loc.Len + 1}},
		{"past the end", Loc{Seg: 0, Off: 1 << 20, Len: 10}},
		{"huge", Loc{Seg: 0, Off: 0, Len: MaxRecord + 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := l.Read(tc.loc); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("read %+v: %d bytes, %v; want ErrCorrupt", tc.loc, len(got), err)
			}
		})
	}
	if _, err := l.Append(make([]byte, MaxRecord+1)); err == nil {
		t.Fatal("a record over MaxRecord was appended")
	}
}

// A flipped byte inside a record fails its checksum.
func TestChecksumCatchesDamage(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, dir, 0)
	loc := mustAppend(t, l, []byte("a block of bytes"))
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(l.path(0), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte{'A'}, int64(loc.Off)+crcSize+2)
	f.Close()
	if _, err := l.Read(loc); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("damaged record read: %v", err)
	}
}

func TestLocEncoding(t *testing.T) {
	loc := Loc{Seg: 3, Off: 1<<40 + 5, Len: 77}
	got, err := DecodeLoc(loc.Encode())
	if err != nil || got != loc {
		t.Fatalf("round trip %+v: %+v, %v", loc, got, err)
	}
	for _, n := range []int{0, LocSize - 1, LocSize + 1} {
		if _, err := DecodeLoc(make([]byte, n)); err == nil {
			t.Fatalf("%d-byte location decoded", n)
		}
	}
}

// A directory holding a file named like a segment but not numbered is
// refused with its name, not skipped.
func TestOpenRejectsStrangeSegmentName(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/seg-x.log", nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil {
		t.Fatal("opened a log with seg-x.log in it")
	}
}

// Reads run alongside the writer, across segment rotations, and each
// returns exactly the record appended (go test -race checks the rest).
func TestReadsAlongsideAppends(t *testing.T) {
	l := mustOpen(t, t.TempDir(), 20_000)
	r := rand.New(rand.NewPCG(3, 4))
	type rec struct {
		loc  Loc
		data []byte
	}
	ch := make(chan rec, 16)
	done := make(chan error)
	go func() {
		var seen []rec
		var first error
		for x := range ch { // drained to the end, so the writer never blocks
			seen = append(seen, x)
			for _, s := range seen[max(0, len(seen)-5):] {
				got, err := l.Read(s.loc)
				if first == nil && (err != nil || !bytes.Equal(got, s.data)) {
					first = fmt.Errorf("read %+v: %d bytes, %v; want %d bytes", s.loc, len(got), err, len(s.data))
				}
			}
		}
		done <- first
	}()
	for i := range 200 {
		data := record(r, 500+i*17)
		loc := mustAppend(t, l, data)
		ch <- rec{loc, data}
	}
	close(ch)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Segments are opened for reading on demand, and at most maxOpenSegments
// stay open: one descriptor per segment for the life of the process (a
// segment fills in minutes at full load) ran into the open-files limit.
func TestOpenSegmentsBounded(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(5, 6))
	l := mustOpen(t, dir, 2_000)
	var locs []Loc
	var recs [][]byte
	for range 3 * maxOpenSegments {
		rec := record(r, 1500)
		locs, recs = append(locs, mustAppend(t, l, rec)), append(recs, rec)
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		for i, loc := range locs {
			checkRead(t, l, loc, recs[i])
			if n := len(l.files); n > maxOpenSegments {
				t.Fatalf("round %d: %d segments open for reading, want at most %d", round, n, maxOpenSegments)
			}
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	again := mustOpen(t, dir, 2_000)
	if n := len(again.files); n != 0 {
		t.Fatalf("open holds %d segments before any read", n)
	}
	checkRead(t, again, locs[0], recs[0])
	checkRead(t, again, locs[len(locs)-1], recs[len(recs)-1])
}
