package blobnet

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/p2p"
)

// fold2 is a forged manifest of m's root with two leaves: the roots of
// the two subtrees at the top split. It passes Check for size 2*chunk.
func fold2(m *blob.Manifest) *blob.Manifest {
	n := len(m.Leaves)
	k := 1
	for k*2 < n {
		k *= 2
	}
	leaves := []blob.Hash{merkle.Root(m.Leaves[:k]), merkle.Root(m.Leaves[k:])}
	f := &blob.Manifest{Root: m.Root, Size: 2 * int64(m.ChunkSize), ChunkSize: m.ChunkSize, Leaves: leaves}
	if err := f.Check(); err != nil {
		panic(err)
	}
	return f
}

// forge2 serves fold2 of the true manifest; chunks honestly.
var forge2 = serveForged(fold2)

// A client PUTs a forged manifest of the root (leaves folded into their
// parents) in a loop while C fetches the true blob: it replaced the true
// one mid-fetch, every honest peer's chunks failed against it, both were
// reported faulty and the fetch gave up. Only a manifest with more leaves
// replaces one held.
func TestForgedManifestDuringFetch(t *testing.T) {
	nodes := startNet(t, 3, nil)
	a, b, c := nodes[0], nodes[1], nodes[2]
	data := blobBytes(blobSeed+900, 4<<20)
	m := a.put(t, data, 4096)
	b.put(t, data, 4096)
	forged := fold2(m)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the "client", PUT /blobs/{root}/manifest in a loop
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if cur, err := c.store.Manifest(m.Root); err == nil && cur.Size == m.Size {
				_ = c.store.PutManifest(forged)
			}
		}
	}()
	err := c.net.Fetch(ctx, wantOf(m))
	close(stop)
	wg.Wait()
	t.Logf("fetch: %v", err)
	if fa := c.faults.of(a.host.ID()); len(fa) > 0 {
		t.Logf("first fault on A: %s", fa[0])
	}
	if err != nil {
		t.Errorf("true fetch failed while honest A and B hold the blob: %v", err)
	}
	c.noFaults(t, a, b)
}

// Two artifacts name the same root: a bogus one with a forged size
// (served by hostile B) and the true one. C fetches both at once: the
// true fetch succeeds, honest A is not blamed, and the bogus one does not
// report success for a size the store does not hold.
func TestBogusAndTrueFetchOfOneRoot(t *testing.T) {
	nodes := startNet(t, 3, map[int]serveFunc{1: forge2})
	a, b, c := nodes[0], nodes[1], nodes[2]
	data := blobBytes(blobSeed+901, 4<<20)
	m := a.put(t, data, 4096)
	b.put(t, data, 4096)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	trueErr := make(chan error, 1)
	go func() { trueErr <- c.net.Fetch(ctx, wantOf(m)) }()
	// start the bogus fetch once the true one has its manifest
	for {
		if cur, err := c.store.Manifest(m.Root); err == nil && cur.Size == m.Size {
			break
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	bogus := Want{Root: m.Root, Size: 2 * 4096, ChunkSize: 4096}
	berr := c.net.Fetch(ctx, bogus)
	terr := <-trueErr
	t.Logf("bogus fetch: %v", berr)
	t.Logf("true fetch: %v", terr)
	t.Logf("faults A: %d", len(c.faults.of(a.host.ID())))
	for i, f := range c.faults.of(a.host.ID()) {
		if i < 3 {
			t.Logf("  A fault: %s", f)
		}
	}
	if terr != nil {
		t.Errorf("true fetch failed while honest A holds the blob: %v", terr)
	}
	if berr == nil {
		if cur, _ := c.store.Manifest(m.Root); cur != nil && cur.Size != bogus.Size {
			t.Errorf("bogus fetch reported success but the store holds size %d, not %d", cur.Size, bogus.Size)
		}
	}
	c.noFaults(t, a)
}

// Two fetches of the same root at once (two artifacts of one root, or a
// job and a dispute) ask the same peer for the same pieces: one waiter per
// (root, index, peer) let the second replace the first, which then waited
// out its timeout (3 s a manifest, 15 s a chunk wave).
func TestConcurrentFetchesOfOneRoot(t *testing.T) {
	nodes := startNet(t, 2, nil)
	a, c := nodes[0], nodes[1]
	data := blobBytes(blobSeed+902, bigSize)
	m := a.put(t, data, bigChunk)
	var wg sync.WaitGroup
	durs := make([]time.Duration, 2)
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			st := time.Now()
			errs[i] = c.net.Fetch(ctx, wantOf(m))
			durs[i] = time.Since(st)
		}()
	}
	wg.Wait()
	t.Logf("fetch 1: %v in %v; fetch 2: %v in %v", errs[0], durs[0], errs[1], durs[1])
	checkConcurrent(t, c, errs)
}

// checkConcurrent asserts that both fetches succeeded and that no request
// waited out its timeout: with one waiter per (root, index, peer) the
// second fetch's request took the first's reply, and the first waited.
// Counted, not timed, so a slow machine does not fail it.
func checkConcurrent(t *testing.T, c *node, errs []error) {
	t.Helper()
	for _, err := range errs {
		if err != nil {
			t.Errorf("concurrent fetch: %v", err)
		}
	}
	if n := c.net.timeouts.Load(); n != 0 {
		t.Errorf("%d requests waited out their timeout", n)
	}
}

func TestConcurrentChunkFetchesOfOneRoot(t *testing.T) {
	nodes := startNet(t, 2, nil)
	a, c := nodes[0], nodes[1]
	data := blobBytes(blobSeed+903, bigSize)
	m := a.put(t, data, bigChunk)
	c.copyPart(t, a, m, func(i, _ uint64) bool { return false }) // manifest only, as after a first failed try
	var wg sync.WaitGroup
	durs := make([]time.Duration, 2)
	errs := make([]error, 2)
	start := make(chan struct{})
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			<-start
			st := time.Now()
			errs[i] = c.net.Fetch(ctx, wantOf(m))
			durs[i] = time.Since(st)
		}()
	}
	close(start)
	wg.Wait()
	t.Logf("fetch 1: %v in %v; fetch 2: %v in %v", errs[0], durs[0], errs[1], durs[1])
	checkConcurrent(t, c, errs)
}

// H floods A (the only holder) with cheap requests for megabyte chunks
// while C fetches: one queue for every peer's requests let the flood fill
// it, and C's fetch timed out. Each peer now has a share.
func TestRequestFloodDoesNotStarveFetches(t *testing.T) {
	if raceEnabled {
		t.Skip("a wall-clock bound; the race detector's slowdown breaks it")
	}
	nodes := startNet(t, 3, nil)
	a, h, c := nodes[0], nodes[1], nodes[2]
	data := blobBytes(blobSeed+904, 24<<20)
	m := a.put(t, data, 1<<20)
	stop := make(chan struct{})
	var sent, ok int
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := uint64(0); ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			req := message{Type: msgChunkReq, Root: m.Root, Index: i % m.Count()}.encode()
			sent++
			if h.host.Send(a.host.ID(), p2p.ChanBlob, req) {
				ok++
			} else {
				time.Sleep(50 * time.Microsecond)
			}
		}
	}()
	time.Sleep(500 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := time.Now()
	err := c.net.Fetch(ctx, wantOf(m))
	el := time.Since(st)
	close(stop)
	<-done
	t.Logf("fetch during flood: %v after %v (flood frames sent %d accepted %d)", err, el, sent, ok)
	if err != nil {
		t.Errorf("fetch from honest A failed during one peer's request flood: %v", err)
	}
}

// A bogus fetch (forged size, manifest from hostile B) is under way when
// the true manifest of the root replaces the forged one (a concurrent
// fetch of the true artifact, or a client's PUT): it completed the true
// blob and reported success for the forged size.
func TestBogusFetchReportsNoSuccess(t *testing.T) {
	nodes := startNet(t, 3, map[int]serveFunc{1: forge2})
	a, b, c := nodes[0], nodes[1], nodes[2]
	_ = b
	data := blobBytes(blobSeed+905, 1<<20)
	m := a.put(t, data, 4096)
	b.put(t, data, 4096)
	replace := func() {
		if err := c.store.PutReplicaManifest(m); err != nil {
			t.Errorf("replace: %v", err)
		}
	}
	c.beforeChunkReq.Store(&replace)
	bogus := Want{Root: m.Root, Size: 2 * 4096, ChunkSize: 4096}
	err := c.fetch(t, bogus)
	cur, _ := c.store.Manifest(m.Root)
	missing, _ := c.store.Missing(m.Root)
	t.Logf("bogus fetch returned %v; store holds manifest size %d, %d missing", err, cur.Size, len(missing))
	if err == nil && cur.Size != bogus.Size {
		t.Errorf("Fetch(size %d) reported success but the store holds the blob as size %d", bogus.Size, cur.Size)
	}
}

// A peer's pushes are budgeted (each is a client upload on every peer,
// charged to blobs.max_bytes): one peer pushing 1-byte blobs filled every
// node's upload quota. Past its budget a peer's pushes are dropped, and
// another peer's still get in.
func TestPushesBudgetedPerPeer(t *testing.T) {
	n := testNet(t)
	push := message{Type: msgPush, Root: blob.Hash{1}, Data: make([]byte, 16)}.encode()
	for range 10_000 {
		n.Handle(p2p.NodeID{9}, push)
	}
	if want := pushBytesPerMinute / pushMinCost; len(n.pushq) != want {
		t.Fatalf("one peer queued %d pushes, want its budget of %d", len(n.pushq), want)
	}
	n.Handle(p2p.NodeID{8}, push)
	if len(n.pushq) != pushBytesPerMinute/pushMinCost+1 {
		t.Fatal("another peer's push was dropped")
	}
}
