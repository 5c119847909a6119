package blob

import (
	"bytes"
	"errors"
	"io"
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
	// One byte a chunk: a small stream, but too many chunks for a client.
	if _, err := s.Put(bytes.NewReader(make([]byte, MaxUploadChunks+1)), 1, 0); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("%d one-byte chunks: %v, want ErrTooLarge", MaxUploadChunks+1, err)
	}
	if len(files(t, s)) != 0 || s.Used() != 0 {
		t.Fatalf("refused upload left %d files, %d bytes", len(files(t, s)), s.Used())
	}
	big := func(n int) *Manifest {
		m := &Manifest{Size: int64(n), ChunkSize: 1, Leaves: make([]Hash, n)}
		m.Root = merkle.Root(m.Leaves)
		return m
	}
	if err := s.PutManifest(big(MaxUploadChunks + 1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("client manifest of %d chunks: %v, want ErrTooLarge", MaxUploadChunks+1, err)
	}
	// A replica may have as many chunks as the chain allows an artifact.
	if err := s.PutReplicaManifest(big(MaxUploadChunks + 1)); err != nil {
		t.Fatalf("replica manifest of %d chunks: %v", MaxUploadChunks+1, err)
	}
	if err := big(MaxChunks + 1).Check(); !errors.Is(err, ErrBadManifest) {
		t.Fatalf("manifest of %d chunks: %v, want ErrBadManifest", MaxChunks+1, err)
	}
	if _, err := s.Put(bytes.NewReader(make([]byte, MaxUploadChunks)), 1, 0); err != nil {
		t.Fatalf("%d one-byte chunks: %v", MaxUploadChunks, err)
	}
}

// Writing a manifest again, or another of the same root, counts only the
// difference: a client resuming an upload must not use up the quota.
func TestManifestRewriteKeepsCount(t *testing.T) {
	s := open(t)
	data := randomBytes(6, 4000)
	c, _ := merkle.Split(bytes.NewReader(data), 1000, nil)
	m := &Manifest{Root: c.Root, Size: c.Size, ChunkSize: 1000, Leaves: c.Leaves}
	// The same root over two leaves of the first two and last two chunks'
	// parents: it checks, for a size of 4,000 in chunks of 2,000.
	forged := &Manifest{Root: c.Root, Size: 4000, ChunkSize: 2000, Leaves: []Hash{merkle.Root(c.Leaves[:2]), merkle.Root(c.Leaves[2:])}}
	if err := s.PutManifest(m); err != nil {
		t.Fatal(err)
	}
	for i := range m.Count() {
		if err := s.PutChunk(m.Root, i, data[i*1000:(i+1)*1000]); err != nil {
			t.Fatal(err)
		}
	}
	if missing, _ := s.Missing(m.Root); len(missing) != 0 {
		t.Fatalf("missing %v", missing)
	}
	want := s.Used()
	for range 5 {
		again, err := Open(s.dir) // a restart empties the cache
		if err != nil {
			t.Fatal(err)
		}
		if err := again.PutManifest(m); err != nil {
			t.Fatal(err)
		}
		if again.Used() != want {
			t.Fatalf("rewriting the manifest: %d bytes, want %d", again.Used(), want)
		}
	}
	// Over a complete blob a forged manifest is refused: replacing the
	// true one would hide the blob from every reader.
	if err := s.PutManifest(forged); !errors.Is(err, ErrBadManifest) {
		t.Fatalf("forged manifest over a complete blob: %v, want %v", err, ErrBadManifest)
	}
	if _, _, err := s.Reader(m.Root); err != nil {
		t.Fatalf("complete blob after a refused forgery: %v", err)
	}
	// While a blob is incomplete, only a manifest with more leaves
	// replaces the one held: the true one displaces a forgery that came
	// first, so a fetch recovers from it, and no forgery displaces the
	// true one while its chunks arrive.
	other := randomBytes(7, 4000)
	c2, _ := merkle.Split(bytes.NewReader(other), 1000, nil)
	m2 := &Manifest{Root: c2.Root, Size: c2.Size, ChunkSize: 1000, Leaves: c2.Leaves}
	forged2 := &Manifest{Root: c2.Root, Size: 4000, ChunkSize: 2000, Leaves: []Hash{merkle.Root(c2.Leaves[:2]), merkle.Root(c2.Leaves[2:])}}
	if err := s.PutManifest(forged2); err != nil {
		t.Fatal(err)
	}
	// The forged manifest's leaves are no chunk's hash: both are missing.
	if missing, _ := s.Missing(m2.Root); len(missing) != 2 {
		t.Fatalf("missing %v under the forged manifest, want both", missing)
	}
	if err := s.PutManifest(m2); err != nil {
		t.Fatal(err)
	}
	if err := s.PutChunk(m2.Root, 0, other[:1000]); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := s.PutManifest(forged2); !errors.Is(err, ErrBadManifest) {
			t.Fatalf("forged manifest over the true one, incomplete: %v, want %v", err, ErrBadManifest)
		}
		if missing, _ := s.Missing(m2.Root); len(missing) != 3 {
			t.Fatalf("missing %v under the true manifest, want chunks 1-3", missing)
		}
	}
	reopened, err := Open(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Used() != reopened.Used() {
		t.Fatalf("count drifted: %d, files hold %d", s.Used(), reopened.Used())
	}
}

// A refused upload never removes a chunk that another upload stored
// meanwhile: A stages a chunk, B stores a blob with the same chunk, A is
// refused.
func TestRefusedUploadKeepsSharedChunks(t *testing.T) {
	s := open(t)
	shared := randomBytes(7, 1000)
	pr, pw := io.Pipe()
	aDone := make(chan error, 1)
	go func() {
		_, err := s.Put(pr, 1000, 1500) // refused past 1,500 bytes
		aDone <- err
	}()
	if _, err := pw.Write(shared); err != nil {
		t.Fatal(err)
	}
	b, err := s.Put(bytes.NewReader(append(append([]byte(nil), shared...), randomBytes(8, 500)...)), 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		pw.Write(randomBytes(9, 1000)) // A reads only to its limit
		pw.Close()
	}()
	err = <-aDone
	pr.Close() // unblocks the writer
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("A: %v, want ErrTooLarge", err)
	}
	if missing, _ := s.Missing(b.Root); len(missing) != 0 {
		t.Fatalf("B misses %v after A was refused", missing)
	}
	if _, _, err := s.Chunk(b.Root, 0); err != nil {
		t.Fatalf("B's shared chunk: %v", err)
	}
	reopened, err := Open(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	if s.Used() != reopened.Used() {
		t.Fatalf("count drifted: %d, files hold %d", s.Used(), reopened.Used())
	}
}

// Proofs served concurrently (run with -race) all verify.
func TestConcurrentChunks(t *testing.T) {
	s := open(t)
	m, err := s.Put(bytes.NewReader(randomBytes(10, 20_000)), 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			for i := range m.Count() {
				data, proof, err := s.Chunk(m.Root, (i+uint64(g))%m.Count())
				if err == nil {
					err = proof.Verify(m.Root, merkle.LeafHash(data))
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
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
