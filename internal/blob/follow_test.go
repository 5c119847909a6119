package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// copyIn moves a blob from src to dst the way a fetch does: manifest
// first, then the chunks in the given order.
func copyIn(t *testing.T, src, dst *Store, m *Manifest, order []uint64) {
	t.Helper()
	if err := dst.PutReplicaManifest(m); err != nil {
		t.Error(err)
		return
	}
	for _, i := range order {
		chunk, _, err := src.Chunk(m.Root, i)
		if err == nil {
			err = dst.PutReplicaChunk(m.Root, i, chunk)
		}
		if err != nil {
			t.Error(err)
			return
		}
	}
}

// A follower started before anything arrived reads the whole blob in
// order, whatever order its chunks are stored in.
func TestFollowReadsWhileChunksArrive(t *testing.T) {
	for _, tc := range []struct {
		name  string
		size  int
		order func(n int) []uint64
	}{
		{"in order", 10_000, func(n int) []uint64 { return seq(n) }},
		{"reversed", 10_000, func(n int) []uint64 { s := seq(n); reverse(s); return s }},
		{"shuffled", 50_000, func(n int) []uint64 {
			s := seq(n)
			rand.New(rand.NewPCG(7, 7)).Shuffle(n, func(i, j int) { s[i], s[j] = s[j], s[i] })
			return s
		}},
		{"empty", 0, func(n int) []uint64 { return seq(n) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, dst := open(t), open(t)
			data := randomBytes(uint64(tc.size), tc.size)
			m, err := src.Put(bytes.NewReader(data), 1024, 0)
			if err != nil {
				t.Fatal(err)
			}
			got := make(chan []byte, 1)
			go func() {
				b, err := io.ReadAll(dst.Follow(context.Background(), m.Root, m.Size, m.ChunkSize))
				if err != nil {
					t.Error(err)
				}
				got <- b
			}()
			copyIn(t, src, dst, m, tc.order(int(m.Count())))
			if b := <-got; !bytes.Equal(b, data) {
				t.Fatalf("followed %d bytes, want the %d stored", len(b), len(data))
			}
		})
	}
}

// A follower whose context ends while a chunk is missing returns the
// bytes before the gap and then the context's error.
func TestFollowStopsWithContext(t *testing.T) {
	src, dst := open(t), open(t)
	data := randomBytes(3, 5000)
	m, err := src.Put(bytes.NewReader(data), 1024, 0)
	if err != nil {
		t.Fatal(err)
	}
	copyIn(t, src, dst, m, []uint64{0, 1, 3, 4}) // chunk 2 never comes
	ctx, cancel := context.WithCancel(context.Background())
	r := dst.Follow(ctx, m.Root, m.Size, m.ChunkSize)
	head := make([]byte, 2048)
	if _, err := io.ReadFull(r, head); err != nil || !bytes.Equal(head, data[:2048]) {
		t.Fatalf("first two chunks: err %v", err)
	}
	cancel()
	if _, err := r.Read(head); !errors.Is(err, context.Canceled) {
		t.Fatalf("read across the gap after cancel: %v, want context.Canceled", err)
	}
}

// A manifest of another size under the same root is not followed: the
// follower waits for the one it was told to expect.
func TestFollowWaitsOutAnotherManifest(t *testing.T) {
	src, dst := open(t), open(t)
	data := randomBytes(4, 3000)
	m, err := src.Put(bytes.NewReader(data), 1024, 0)
	if err != nil {
		t.Fatal(err)
	}
	copyIn(t, src, dst, m, seq(int(m.Count())))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := io.ReadAll(dst.Follow(ctx, m.Root, m.Size+1, m.ChunkSize)); !errors.Is(err, context.Canceled) {
		t.Fatalf("follow with the wrong size: %v, want to wait (and so see the cancel)", err)
	}
}

func seq(n int) []uint64 {
	s := make([]uint64, n)
	for i := range s {
		s[i] = uint64(i)
	}
	return s
}

func reverse(s []uint64) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}
