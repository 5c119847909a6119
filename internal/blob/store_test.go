package blob

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/lazchain/lazchain/internal/merkle"
)

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0xb10b))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Whatever goes in comes back out, chunk by chunk with proofs that verify
// against the id, and as one stream.
func TestPutThenRead(t *testing.T) {
	s := open(t)
	for _, size := range []int{0, 1, 1023, 1024, 1025, 10_000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			data := randomBytes(uint64(size), size)
			m, err := s.Put(bytes.NewReader(data), 1024, 0)
			if err != nil {
				t.Fatal(err)
			}
			if m.Size != int64(size) || m.Check() != nil {
				t.Fatalf("manifest %+v", m)
			}
			var joined []byte
			for i := uint64(0); i < m.Count(); i++ {
				chunk, proof, err := s.Chunk(m.Root, i)
				if err != nil {
					t.Fatal(err)
				}
				if err := proof.Verify(m.Root, merkle.LeafHash(chunk)); err != nil {
					t.Fatalf("chunk %d proof: %v", i, err)
				}
				joined = append(joined, chunk...)
			}
			r, _, err := s.Reader(m.Root)
			if err != nil {
				t.Fatal(err)
			}
			streamed, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(streamed, data) || !bytes.Equal(joined, data) {
				t.Fatalf("read back %d/%d bytes (%v)", len(streamed), len(joined), err)
			}
		})
	}
}

// An upload by chunks resumes: after a break only the missing chunks are
// sent, and a chunk that does not match the manifest (a tampered one, or
// the right bytes at the wrong index) is refused and stored nowhere.
func TestChunkedUploadResumesAndRejectsTampering(t *testing.T) {
	data := randomBytes(7, 5*1000+17)
	c, err := merkle.Split(bytes.NewReader(data), 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := &Manifest{Root: c.Root, Size: c.Size, ChunkSize: 1000, Leaves: c.Leaves}
	s := open(t)
	chunk := func(i uint64) []byte { return data[i*1000 : min(uint64(len(data)), (i+1)*1000)] }
	if err := s.PutChunk(m.Root, 0, chunk(0)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("chunk before its manifest: %v", err)
	}
	if err := s.PutManifest(m); err != nil {
		t.Fatal(err)
	}
	for _, i := range []uint64{0, 3} { // the first connection breaks here
		if err := s.PutChunk(m.Root, i, chunk(i)); err != nil {
			t.Fatal(err)
		}
	}
	if missing, _ := s.Missing(m.Root); fmt.Sprint(missing) != "[1 2 4 5]" {
		t.Fatalf("missing %v", missing)
	}
	if _, _, err := s.Reader(m.Root); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("reader of an incomplete blob: %v", err)
	}
	tampered := append([]byte(nil), chunk(1)...)
	tampered[10] ^= 1
	for _, bad := range []struct {
		name string
		i    uint64
		data []byte
	}{
		{"flipped bit", 1, tampered},
		{"another chunk's bytes", 1, chunk(2)},
		{"truncated", 1, chunk(1)[:999]},
		{"index past the end", 6, chunk(5)},
	} {
		if err := s.PutChunk(m.Root, bad.i, bad.data); err == nil {
			t.Fatalf("%s accepted", bad.name)
		}
	}
	if missing, _ := s.Missing(m.Root); fmt.Sprint(missing) != "[1 2 4 5]" {
		t.Fatalf("a refused chunk was stored: missing %v", missing)
	}
	for _, i := range []uint64{1, 2, 4, 5} {
		if err := s.PutChunk(m.Root, i, chunk(i)); err != nil {
			t.Fatal(err)
		}
	}
	r, _, err := s.Reader(m.Root)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(r); !bytes.Equal(got, data) {
		t.Fatal("resumed upload reads back differently")
	}
}

// A chunk corrupted on disk is never served.
func TestCorruptChunkOnDisk(t *testing.T) {
	s := open(t)
	m, err := s.Put(bytes.NewReader(randomBytes(9, 3000)), 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	p := s.chunkPath(m.Leaves[1])
	b, _ := os.ReadFile(p)
	b[0] ^= 0xff
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r, _, err := s.Reader(m.Root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); !errors.Is(err, ErrBadChunk) {
		t.Fatalf("stream over a corrupt chunk: %v", err)
	}
	// The bad copy is dropped, so the chunk is missing and can be fetched
	// or uploaded again.
	if missing, _ := s.Missing(m.Root); len(missing) != 1 || missing[0] != 1 {
		t.Fatalf("missing after corruption: %v", missing)
	}
	if _, _, err := s.Chunk(m.Root, 1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("corrupt chunk after detection: %v", err)
	}
	if err := s.PutChunk(m.Root, 1, randomBytes(9, 3000)[1000:2000]); err != nil {
		t.Fatalf("re-upload of the dropped chunk: %v", err)
	}
}

func TestTooLargeKeepsNoManifest(t *testing.T) {
	s := open(t)
	data := randomBytes(11, 5000)
	if _, err := s.Put(bytes.NewReader(data), 1000, 4999); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over the limit: %v", err)
	}
	c, _ := merkle.Split(bytes.NewReader(data), 1000, nil)
	if _, err := s.Manifest(c.Root); !errors.Is(err, ErrNotFound) {
		t.Fatalf("manifest of a refused upload: %v", err)
	}
	if _, err := s.Put(bytes.NewReader(data), 1000, 5000); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
}

func TestManifestCheck(t *testing.T) {
	c, _ := merkle.Split(bytes.NewReader(randomBytes(13, 2500)), 1000, nil)
	good := Manifest{Root: c.Root, Size: c.Size, ChunkSize: 1000, Leaves: c.Leaves}
	cases := []struct {
		name string
		mut  func(m *Manifest)
	}{
		{"wrong root", func(m *Manifest) { m.Root[0] ^= 1 }},
		{"size claims another chunk", func(m *Manifest) { m.Size = 3001 }},
		{"size claims fewer chunks", func(m *Manifest) { m.Size = 2000 }},
		{"chunk size 0", func(m *Manifest) { m.ChunkSize = 0 }},
		{"chunk size over the limit", func(m *Manifest) { m.ChunkSize = merkle.MaxChunk + 1 }},
		{"negative size", func(m *Manifest) { m.Size = -1 }},
		{"leaf swapped", func(m *Manifest) { m.Leaves[0], m.Leaves[1] = m.Leaves[1], m.Leaves[0] }},
	}
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		m := good
		m.Leaves = append([]Hash(nil), good.Leaves...)
		c.mut(&m)
		if err := m.Check(); !errors.Is(err, ErrBadManifest) {
			t.Errorf("%s: %v", c.name, err)
		}
		if _, err := DecodeManifest(m.Encode()); err == nil {
			t.Errorf("%s: decoded", c.name)
		}
	}
	back, err := DecodeManifest(good.Encode())
	if err != nil || back.Root != good.Root || back.Count() != good.Count() {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := DecodeManifest(append(good.Encode(), 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
}

func FuzzDecodeManifest(f *testing.F) {
	c, _ := merkle.Split(bytes.NewReader(randomBytes(15, 2500)), 1000, nil)
	f.Add((&Manifest{Root: c.Root, Size: c.Size, ChunkSize: 1000, Leaves: c.Leaves}).Encode())
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeManifest(b)
		if err != nil {
			return
		}
		if !bytes.Equal(m.Encode(), b) {
			t.Fatal("decode then encode changed the bytes")
		}
	})
}

// ChunkData trusts only this process's own recent checks: a store opened
// afresh (as after a crash) checks every chunk it hands to a peer.
func TestChunkDataChecksWhatThisProcessDidNot(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	data := randomBytes(10, 3000)
	m, err := s.Put(bytes.NewReader(data), 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.ChunkData(m.Root, 2); err != nil || !bytes.Equal(got, data[2000:]) {
		t.Fatalf("ChunkData of a chunk just written: %v", err)
	}
	p := s.chunkPath(m.Leaves[1])
	b, _ := os.ReadFile(p)
	b[0] ^= 0xff
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	fresh, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fresh.ChunkData(m.Root, 1); !errors.Is(err, ErrBadChunk) {
		t.Fatalf("ChunkData of a corrupt chunk after a restart: %v, want ErrBadChunk", err)
	}
	if _, err := fresh.ChunkData(m.Root, 5); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ChunkData past the end: %v, want ErrNotFound", err)
	}
}
