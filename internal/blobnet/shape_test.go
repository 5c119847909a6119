package blobnet

import (
	"errors"
	"io"
	"testing"

	"github.com/lazchain/lazchain/internal/blob"
)

// sameLeaves is a "sound" manifest of m's root with the same leaves but a
// size one byte short: Check passes (the count still follows from size and
// chunk size), but it can never be complete (its last chunk is one byte
// short of the one that hashes to the last leaf).
func sameLeaves(m *blob.Manifest) *blob.Manifest {
	f := &blob.Manifest{Root: m.Root, Size: m.Size - 1, ChunkSize: m.ChunkSize, Leaves: m.Leaves}
	if err := f.Check(); err != nil {
		panic(err)
	}
	return f
}

// Store level: a forged manifest with as many leaves as the true one, PUT
// by any API client before the node fetches, no longer blocks the true
// one (same leaves: neither is truer, so the later replaces).
func TestSameCountManifestDoesNotBlockTheTrueOne(t *testing.T) {
	store, err := blob.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	src, _ := blob.Open(t.TempDir())
	data := blobBytes(blobSeed+901, 8*4096)
	m := putStore(t, src, data, 4096)
	if err := store.PutManifest(sameLeaves(m)); err != nil {
		t.Fatalf("forged manifest refused: %v", err)
	}
	if err := store.PutReplicaManifest(m); err != nil {
		t.Fatalf("true manifest refused after a same-count forgery: %v", err)
	}
}

func putStore(t *testing.T, s *blob.Store, data []byte, cs int) *blob.Manifest {
	t.Helper()
	m, err := s.Put(bytesReader(data), cs, 0)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Network level: a bogus submission of the true root with a size one byte
// short, whose manifest a hostile peer serves, made an honest member
// unable ever to fetch the true artifact afterwards.
func TestFetchAfterASameCountForgery(t *testing.T) {
	const chunk, count = 4096, 8
	nodes := startNet(t, 3, map[int]serveFunc{1: serveForged(sameLeaves)})
	a, b, c := nodes[0], nodes[1], nodes[2]
	data := blobBytes(blobSeed+902, chunk*count)
	m := a.put(t, data, chunk)
	b.put(t, data, chunk)

	forged := Want{Root: m.Root, Size: m.Size - 1, ChunkSize: chunk}
	c.fetch(t, forged) // can never complete
	if err := c.fetch(t, wantOf(m)); err != nil {
		t.Fatalf("fetch of the true size after the same-count forged one: %v (errors.Is unavailable %v)", err, errors.Is(err, ErrUnavailable))
	}
	c.checkBlob(t, m.Root, data)
	c.noFaults(t, a)
}

func bytesReader(b []byte) *bytesR { return &bytesR{b: b} }

type bytesR struct{ b []byte }

func (r *bytesR) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// A single-chunk blob has the same root (and the same bytes) under every
// chunk size at least its size. A client's streamed upload of the same
// bytes with another chunk size replaced the manifest of the complete
// blob, and the node then refused to "fetch" the blob it held whole for an
// artifact naming the first chunk size (ErrWrongSize, read in a dispute as
// unavailable). The complete manifest now stays, and either shape fits.
func TestSingleChunkBlobUnderAnotherChunkSize(t *testing.T) {
	store, err := blob.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := blobBytes(blobSeed+903, 1000)
	m1 := putStore(t, store, data, 4096) // the artifact's shape: (R, 1000, 4096)
	n := New(store, nopTransport{}, discard, nil)
	if err := n.Fetch(t.Context(), wantOf(m1)); err != nil {
		t.Fatalf("fetch before: %v", err)
	}
	m2 := putStore(t, store, data, 8192) // anyone: PUT /blobs?chunk_size=8192, same bytes
	if m2.Root != m1.Root {
		t.Fatalf("roots differ")
	}
	if m2.ChunkSize != m1.ChunkSize {
		t.Fatalf("the upload replaced a complete blob's manifest: chunk size %d, held %d", m2.ChunkSize, m1.ChunkSize)
	}
	for _, w := range []Want{wantOf(m1), {Root: m1.Root, Size: m1.Size, ChunkSize: 8192}} {
		if err := n.Fetch(t.Context(), w); err != nil {
			t.Fatalf("fetch %+v of a blob held whole: %v (ErrWrongSize %v)", w, err, errors.Is(err, ErrWrongSize))
		}
	}
	// Past one chunk the chunk size is part of the shape.
	if err := n.Fetch(t.Context(), Want{Root: m1.Root, Size: m1.Size, ChunkSize: 500}); err == nil {
		t.Fatal("a shape of two chunks fit a one-chunk blob")
	}
}

// A member whose own disk is past its reserve cannot store replicas: its
// fetch reported the blob unavailable from every peer (ErrUnavailable),
// which a dispute over availability counts as a finding. It now ends with
// the store's own error.
func TestLocalDiskFullIsNotUnavailability(t *testing.T) {
	nodes := startNet(t, 3, nil)
	a, b, c := nodes[0], nodes[1], nodes[2]
	data := blobBytes(blobSeed+904, 8*4096)
	m := a.put(t, data, 4096)
	b.put(t, data, 4096)
	if err := c.store.PutReplicaManifest(m); err != nil { // the manifest arrived; then the disk filled
		t.Fatal(err)
	}
	c.store.SetLimits(0, 1<<62) // no room left above the reserve
	err := c.fetch(t, wantOf(m))
	if err == nil || errors.Is(err, ErrUnavailable) || !errors.Is(err, blob.ErrFull) {
		t.Fatalf("fetch with a full local disk: %v; want blob.ErrFull, not unavailability", err)
	}
}
