package blob

import (
	"bytes"
	"io"
	"os"
	"sync"
	"testing"

	"github.com/lazchain/lazchain/internal/merkle"
)

// A replica chunk is written without fsync, so a crash can leave its file
// short or empty under its name. Such a chunk counts as missing, and a
// client's upload of it (by chunks, or streamed whole) replaces it rather
// than being acknowledged over bytes that do not read back.
func TestTornChunkReplacedByUpload(t *testing.T) {
	for _, c := range []struct {
		name   string
		upload func(s *Store, m *Manifest, data []byte) error
	}{
		{"by chunks", func(s *Store, m *Manifest, data []byte) error {
			if err := s.PutManifest(m); err != nil {
				return err
			}
			for i := range m.Count() {
				if err := s.PutChunk(m.Root, i, data[i*1000:(i+1)*1000]); err != nil {
					return err
				}
			}
			return nil
		}},
		{"streamed", func(s *Store, _ *Manifest, data []byte) error {
			_, err := s.Put(bytes.NewReader(data), 1000, 0)
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			data := randomBytes(3, 3000)
			split, _ := merkle.Split(bytes.NewReader(data), 1000, nil)
			m := &Manifest{Root: split.Root, Size: split.Size, ChunkSize: 1000, Leaves: split.Leaves}
			if err := s.PutReplicaManifest(m); err != nil {
				t.Fatal(err)
			}
			for i := range m.Count() {
				if err := s.PutReplicaChunk(m.Root, i, data[i*1000:(i+1)*1000]); err != nil {
					t.Fatal(err)
				}
			}
			// The crash: chunk 1 comes back empty.
			if err := os.Truncate(s.chunkPath(m.Leaves[1]), 0); err != nil {
				t.Fatal(err)
			}
			s, err = Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			if missing, _ := s.Missing(m.Root); len(missing) != 1 || missing[0] != 1 {
				t.Fatalf("missing %v after the crash, want [1]", missing)
			}
			if err := c.upload(s, m, data); err != nil {
				t.Fatal(err)
			}
			if missing, _ := s.Missing(m.Root); len(missing) != 0 {
				t.Fatalf("missing %v after the upload", missing)
			}
			r, _, err := s.Reader(m.Root)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("read back %d bytes, %v", len(got), err)
			}
			reopened, _ := Open(dir)
			if s.Used() != reopened.Used() {
				t.Fatalf("quota drift: used %d, files hold %d", s.Used(), reopened.Used())
			}
		})
	}
}

// Concurrent writes of one new manifest charge its bytes once.
func TestConcurrentManifestChargedOnce(t *testing.T) {
	s := open(t)
	data := randomBytes(9, 64*1000)
	split, _ := merkle.Split(bytes.NewReader(data), 1000, nil)
	m := &Manifest{Root: split.Root, Size: split.Size, ChunkSize: 1000, Leaves: split.Leaves}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 8 {
		wg.Go(func() {
			<-start
			cp := *m
			if err := s.PutManifest(&cp); err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	reopened, err := Open(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Used() != reopened.Used() {
		t.Fatalf("quota drift: used %d, files hold %d", s.Used(), reopened.Used())
	}
}

// A scan of a blob's chunk files that a chunk's removal (found corrupt by
// a reader) overtook does not record the blob complete: it may have seen
// the removed chunk, and a stale "complete" kept every later Missing from
// looking again, so the blob was never fetched whole.
func TestCompletenessNotRecordedOverADrop(t *testing.T) {
	s := open(t)
	data := randomBytes(4, 3000)
	m, err := s.Put(bytes.NewReader(data), 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.cache.dropped() // forget what Put learnt
	gen := s.cache.generation()
	s.cache.dropped() // a reader drops a corrupt chunk mid-scan
	s.cache.markComplete(m, gen)
	if s.cache.isComplete(m) {
		t.Fatal("completeness from a scan overtaken by a drop was recorded")
	}
	if missing, _ := s.Missing(m.Root); len(missing) != 0 || !s.cache.isComplete(m) {
		t.Fatalf("a scan of its own: missing %v, complete %v", missing, s.cache.isComplete(m))
	}
}
