package blob

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lazchain/lazchain/internal/merkle"
)

// files lists every chunk and manifest file in the store.
func files(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	for _, sub := range []string{"chunks", "manifests"} {
		filepath.WalkDir(filepath.Join(s.dir, sub), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				out = append(out, p)
			}
			return err
		})
	}
	return out
}

func TestQuota(t *testing.T) {
	s := open(t)
	first, err := s.Put(bytes.NewReader(randomBytes(1, 8000)), 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	used := s.Used()
	if used <= 8000 {
		t.Fatalf("used %d after 8,000 bytes of chunks and a manifest", used)
	}
	s.SetLimits(used+3000, 0)
	before := files(t, s)

	// A 5,000-byte upload passes the quota at its fourth chunk: refused,
	// and the chunks it had written are gone again.
	_, err = s.Put(bytes.NewReader(randomBytes(2, 5000)), 1000, 0)
	if !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "blobs.max_bytes") {
		t.Fatalf("upload past the quota: %v, want ErrFull naming blobs.max_bytes", err)
	}
	if after := files(t, s); len(after) != len(before) || s.Used() != used {
		t.Fatalf("a refused upload left %d files (had %d), used %d (had %d)", len(after), len(before), s.Used(), used)
	}

	// Chunk by chunk: a manifest fits, its chunks until the quota.
	data := randomBytes(3, 4000)
	c, _ := merkle.Split(bytes.NewReader(data), 1000, nil)
	m := &Manifest{Root: c.Root, Size: c.Size, ChunkSize: 1000, Leaves: c.Leaves}
	if err := s.PutManifest(m); err != nil {
		t.Fatal(err)
	}
	var refused error
	for i := range m.Count() {
		if err := s.PutChunk(m.Root, i, data[i*1000:(i+1)*1000]); err != nil {
			refused = err
			break
		}
	}
	if !errors.Is(refused, ErrFull) {
		t.Fatalf("chunks past the quota: %v, want ErrFull", refused)
	}

	// A replica fetched for verification passes the quota (only the
	// reserve of free disk refuses it).
	for i := range m.Count() {
		if err := s.PutReplicaChunk(m.Root, i, data[i*1000:(i+1)*1000]); err != nil {
			t.Fatalf("replica chunk %d: %v", i, err)
		}
	}
	if missing, _ := s.Missing(m.Root); len(missing) != 0 {
		t.Fatalf("missing %v after the replica chunks", missing)
	}

	// The count survives a restart.
	total := s.Used()
	again, err := Open(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	if again.Used() != total {
		t.Fatalf("reopened store counts %d bytes, want %d", again.Used(), total)
	}
	if _, err := again.Manifest(first.Root); err != nil {
		t.Fatal(err)
	}
}

func TestReserve(t *testing.T) {
	s := open(t)
	s.SetLimits(0, 1<<62) // more free disk than any machine has
	data := randomBytes(4, 3000)
	c, _ := merkle.Split(bytes.NewReader(data), 1000, nil)
	m := &Manifest{Root: c.Root, Size: c.Size, ChunkSize: 1000, Leaves: c.Leaves}
	if err := s.PutReplicaManifest(m); !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "blobs.reserve_bytes") {
		t.Fatalf("replica manifest under the reserve: %v, want ErrFull naming blobs.reserve_bytes", err)
	}
	if _, err := s.Put(bytes.NewReader(data), 1000, 0); !errors.Is(err, ErrFull) {
		t.Fatalf("upload under the reserve: %v, want ErrFull", err)
	}
	if len(files(t, s)) != 0 || s.Used() != 0 {
		t.Fatalf("refused writes left %d files, %d bytes", len(files(t, s)), s.Used())
	}
}

func TestMaxChunks(t *testing.T) {
	s := open(t)
	// One byte a chunk: a small stream, but too many chunks.
	if _, err := s.Put(bytes.NewReader(make([]byte, MaxChunks+1)), 1, 0); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("%d one-byte chunks: %v, want ErrTooLarge", MaxChunks+1, err)
	}
	if len(files(t, s)) != 0 {
		t.Fatalf("refused upload left %d files", len(files(t, s)))
	}
	m := &Manifest{Size: MaxChunks + 1, ChunkSize: 1, Leaves: make([]Hash, MaxChunks+1)}
	m.Root = merkle.Root(m.Leaves)
	if err := m.Check(); !errors.Is(err, ErrBadManifest) || !strings.Contains(err.Error(), "larger chunks") {
		t.Fatalf("manifest of %d chunks: %v, want ErrBadManifest", MaxChunks+1, err)
	}
	if _, err := s.Put(bytes.NewReader(make([]byte, MaxChunks)), 1, 0); err != nil {
		t.Fatalf("%d one-byte chunks: %v", MaxChunks, err)
	}
}

// A complete blob is remembered, and forgotten when a chunk is found
// corrupt and dropped.
func TestMissingAfterCorruption(t *testing.T) {
	s := open(t)
	m, err := s.Put(bytes.NewReader(randomBytes(5, 3000)), 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	if missing, _ := s.Missing(m.Root); len(missing) != 0 {
		t.Fatalf("missing %v", missing)
	}
	if err := os.WriteFile(s.chunkPath(m.Leaves[1]), []byte("rot"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Chunk(m.Root, 1); !errors.Is(err, ErrBadChunk) {
		t.Fatalf("corrupt chunk: %v", err)
	}
	if missing, _ := s.Missing(m.Root); len(missing) != 1 || missing[0] != 1 {
		t.Fatalf("missing %v after a corrupt chunk was dropped, want [1]", missing)
	}
}
