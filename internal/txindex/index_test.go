package txindex

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	s, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// block returns the entries of a block at height with n transactions,
// hashed from the height so that every test sees the same ones.
func block(height uint64, n int) []Entry {
	es := make([]Entry, n)
	for i := range es {
		var b [12]byte
		binary.BigEndian.PutUint64(b[:], height)
		binary.BigEndian.PutUint32(b[8:], uint32(i))
		es[i] = Entry{Hash: types.Hash(sha256.Sum256(b[:])), Loc: Loc{Height: height, Index: uint32(i)}}
	}
	return es
}

// confirmTest confirms locations against block.
func confirmTest(h types.Hash, l Loc) (bool, error) {
	return block(l.Height, int(l.Index)+1)[l.Index].Hash == h, nil
}

// reopen closes x and its store and opens both again from dir, as a
// restart does; the reopened ones close when the test ends.
func reopen(t *testing.T, x *Index, s *store.Store, dir string, flushEntries int) (*Index, *store.Store) {
	t.Helper()
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir)
	x, err := Open(s, confirmTest, flushEntries, 1000)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close(); s.Close() })
	return x, s
}

func wantAll(t *testing.T, x *Index, from, to uint64, n int) {
	t.Helper()
	for h := from; h <= to; h++ {
		for _, e := range block(h, n) {
			l, ok, err := x.Lookup(e.Hash)
			if err != nil || !ok || l != e.Loc {
				t.Fatalf("lookup of height %d index %d: %+v %v %v", h, e.Index, l, ok, err)
			}
		}
	}
}

func waitThrough(t *testing.T, x *Index, h uint64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for x.Through() < h {
		if time.Now().After(deadline) {
			t.Fatalf("through %d, want %d", x.Through(), h)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestAddLookupAndReopen(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	x, err := Open(s, confirmTest, 100, 1000)
	if err != nil {
		t.Fatal(err)
	}
	// Heights 1-3 stay in memory (90 entries); height 4 crosses 100.
	for h := uint64(1); h <= 3; h++ {
		x.Add(h, block(h, 30))
	}
	wantAll(t, x, 1, 3, 30)
	if x.Through() != 0 {
		t.Fatalf("through %d before any ingest", x.Through())
	}
	x.Add(4, block(4, 30))
	waitThrough(t, x, 4)
	wantAll(t, x, 1, 4, 30)
	x.mu.RLock()
	left := 0
	for _, g := range x.gens {
		left += g.size()
	}
	x.mu.RUnlock()
	if left != 0 {
		t.Fatalf("%d entries still in memory after their ingest", left)
	}
	x.Add(5, block(5, 30))
	x, _ = reopen(t, x, s, dir, 100)
	if x.Through() != 5 {
		t.Fatalf("through %d after reopen, want 5", x.Through())
	}
	wantAll(t, x, 1, 5, 30)
	if _, ok, err := x.Lookup(types.Hash{1}); ok || err != nil {
		t.Fatalf("unknown hash: ok %v, err %v", ok, err)
	}
}

// TestCrashLosesOnlyUnmarked: entries never handed to the writer are gone
// after a crash, and the marker says so; adding their blocks again (the
// node's replay) restores them, and a block replayed below the marker
// changes nothing.
func TestCrashLosesOnlyUnmarked(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	x, err := Open(s, confirmTest, 1<<20, 2)
	if err != nil {
		t.Fatal(err)
	}
	x.Add(1, block(1, 10))
	x.Add(2, block(2, 10)) // two heights: handed off
	waitThrough(t, x, 2)
	x.Add(3, block(3, 10)) // in memory only
	// The crash: the store closes under the index without its Close.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStore(t, dir)
	defer s.Close()
	x, err = Open(s, confirmTest, 1<<20, 2)
	if err != nil {
		t.Fatal(err)
	}
	if x.Through() != 2 {
		t.Fatalf("through %d, want 2", x.Through())
	}
	wantAll(t, x, 1, 2, 10)
	if _, ok, _ := x.Lookup(block(3, 10)[0].Hash); ok {
		t.Fatal("an entry that was never written survived the crash")
	}
	x.Add(2, block(2, 10))
	x.Add(3, block(3, 10))
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if x.Through() != 3 {
		t.Fatalf("through %d after replay, want 3", x.Through())
	}
	wantAll(t, x, 1, 3, 10)
}

// failing is the real store with ingests that fail while fail is set.
type failing struct {
	*store.Store
	fail bool
}

var errDisk = errors.New("disk full")

func (f *failing) IngestSorted(kvs []store.KV) error {
	if f.fail {
		return errDisk
	}
	return f.Store.IngestSorted(kvs)
}

func TestFailedIngestIsCarried(t *testing.T) {
	s := openStore(t, t.TempDir())
	defer s.Close()
	f := &failing{Store: s, fail: true}
	x, err := Open(f, confirmTest, 1<<20, 1)
	if err != nil {
		t.Fatal(err)
	}
	x.Add(1, block(1, 5))
	deadline := time.Now().Add(10 * time.Second)
	for x.Err() == nil {
		if time.Now().After(deadline) {
			t.Fatal("no ingest error reported")
		}
		time.Sleep(time.Millisecond)
	}
	if !errors.Is(x.Err(), errDisk) || x.Through() != 0 {
		t.Fatalf("err %v, through %d", x.Err(), x.Through())
	}
	wantAll(t, x, 1, 1, 5) // still served from memory
	f.fail = false         // the writer is idle: it reported the failure
	x.Add(2, block(2, 5))
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	if x.Through() != 2 {
		t.Fatalf("through %d, want 2", x.Through())
	}
	for _, e := range append(block(1, 5), block(2, 5)...) {
		if v, err := s.Get(key(e.Hash)); err != nil || len(v) == 0 {
			t.Fatalf("height %d index %d not in the store: %v", e.Height, e.Index, err)
		}
	}
}

func TestBadMarker(t *testing.T) {
	s := openStore(t, t.TempDir())
	defer s.Close()
	if err := s.IngestSorted([]store.KV{{Key: []byte{prefix}, Value: []byte{1, 2, 3}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(s, confirmTest, 0, 0); err == nil || !strings.Contains(err.Error(), "marker") {
		t.Fatalf("err = %v, want a marker error", err)
	}
}

// TestDuplicateKeepsFirst: a hash added at two places (a lookup that
// failed during a replay) is stored at its lowest height, its first
// receipt.
func TestDuplicateKeepsFirst(t *testing.T) {
	s := openStore(t, t.TempDir())
	defer s.Close()
	x, err := Open(s, confirmTest, 1<<20, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	e := block(3, 1)[0]
	x.Add(5, []Entry{{Hash: e.Hash, Loc: Loc{Height: 5, Index: 2}}})
	x.Add(6, []Entry{e, {Hash: e.Hash, Loc: Loc{Height: 6, Index: 0}}})
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	v, err := s.Get(key(e.Hash))
	if l, derr := decodeValue(v); err != nil || derr != nil || l != e.Loc {
		t.Fatalf("stored %x, %v, %v; want height 3 index 0", v, err, derr)
	}
}

// Many hand-offs in a row, each generation reused once its table is in:
// every entry stays findable at every step, whether in memory or stored,
// and the writer's reused buffers never mix one table into the next.
func TestManyHandOffsReuseGenerations(t *testing.T) {
	s := openStore(t, t.TempDir())
	defer s.Close()
	x, err := Open(s, confirmTest, 64, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	const heights, perBlock = 60, 25
	for h := uint64(1); h <= heights; h++ {
		x.Add(h, block(h, perBlock))
		wantAll(t, x, 1, h, perBlock)
	}
	x.Add(heights+1, nil) // hand off what is open
	waitThrough(t, x, heights-2)
	wantAll(t, x, 1, heights, perBlock)
	// Stored, not remembered: the entries read back from the tables.
	for h := uint64(1); h <= x.Through(); h++ {
		for _, e := range block(h, perBlock) {
			v, err := s.Get(key(e.Hash))
			if l, derr := decodeValue(v); err != nil || derr != nil || l != e.Loc {
				t.Fatalf("stored entry of height %d index %d: %x, %v", h, e.Index, v, err)
			}
		}
	}
}

// TestDefaultFlushPointsDifferPerNode checks the jitter that keeps
// validators from compacting in lockstep: defaults land within half of
// the nominal points either way, both scaled alike, and two opens rarely
// agree (eight equal draws of a float64 would take a broken source).
func TestDefaultFlushPointsDifferPerNode(t *testing.T) {
	seen := map[int]bool{}
	for i := 0; i < 8; i++ {
		s := openStore(t, t.TempDir())
		defer s.Close()
		x, err := Open(s, confirmTest, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if x.flushEntries < DefaultFlushEntries/2 || x.flushEntries >= DefaultFlushEntries*3/2 {
			t.Fatalf("flush entries %d outside [%d, %d)", x.flushEntries, DefaultFlushEntries/2, DefaultFlushEntries*3/2)
		}
		if x.flushHs < DefaultFlushHeights/2 || x.flushHs >= DefaultFlushHeights*3/2 {
			t.Fatalf("flush heights %d outside [%d, %d)", x.flushHs, DefaultFlushHeights/2, DefaultFlushHeights*3/2)
		}
		// One factor for both: the ratio stays the nominal one.
		if r := float64(x.flushEntries) / float64(x.flushHs); r < 15.9 || r > 16.1 {
			t.Fatalf("entries/heights %d/%d, want the nominal ratio 16", x.flushEntries, x.flushHs)
		}
		seen[x.flushEntries] = true
		if err := x.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) < 2 {
		t.Fatalf("eight opens chose the same flush point %v", seen)
	}
	// Explicit points are kept as given.
	s := openStore(t, t.TempDir())
	defer s.Close()
	x, err := Open(s, confirmTest, 100, 7)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if x.flushEntries != 100 || x.flushHs != 7 {
		t.Fatalf("explicit points became %d, %d", x.flushEntries, x.flushHs)
	}
}

// gated is the real store with every ingest held until released.
type gated struct {
	*store.Store
	started, release chan struct{}
}

func (g *gated) IngestSorted(kvs []store.KV) error {
	g.started <- struct{}{}
	<-g.release
	return g.Store.IngestSorted(kvs)
}

// After a restart the heights below the marker are executed again, and
// their hand-offs all carry the marker's height. Writing one must not
// forget another still queued: its entries are in neither the store nor
// memory until it is written.
func TestQueuedHandOffsAtOneHeight(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	x, err := Open(s, confirmTest, 4, 1000)
	if err != nil {
		t.Fatal(err)
	}
	x.Add(10, nil)
	if err := x.Close(); err != nil || x.Through() != 10 {
		t.Fatalf("marker: through %d, %v", x.Through(), err)
	}
	g := &gated{Store: s, started: make(chan struct{}), release: make(chan struct{})}
	x, err = Open(g, confirmTest, 4, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	x.Add(3, block(3, 5)) // hand-off 1, being written
	<-g.started
	x.Add(4, block(4, 5)) // hand-off 2, queued behind it
	g.release <- struct{}{}
	<-g.started // hand-off 1 written; 2 is being written
	wantAll(t, x, 3, 4, 5)
	close(g.release)
	go func() {
		for range g.started {
		}
	}()
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	close(g.started) // the writer has stopped
	wantAll(t, x, 3, 4, 5)
}
