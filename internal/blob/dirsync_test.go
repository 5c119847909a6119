package blob

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/lazchain/lazchain/internal/merkle"
)

// A client's upload is acknowledged only once the names of its chunks and
// manifest are durable: the directories that gained them are synced, not
// only the files. A replica's chunk is not synced (a torn one is fetched
// again).
func TestClientWritesSyncTheirDirectories(t *testing.T) {
	synced := map[string]int{}
	old := syncDir
	syncDir = func(dir string) error { synced[dir]++; return old(dir) }
	t.Cleanup(func() { syncDir = old })

	s := open(t)
	data := randomBytes(7, 5000)
	m, err := s.Put(bytes.NewReader(data), 1024, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(s.dir, "manifests")}
	for i := uint64(0); i < m.Count(); i++ {
		chunk, _, err := s.Chunk(m.Root, i)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, filepath.Dir(s.chunkPath(merkle.LeafHash(chunk))))
	}
	for _, d := range want {
		if synced[d] == 0 {
			t.Errorf("upload acknowledged without syncing %s (synced: %v)", d, synced)
		}
	}

	// Chunk by chunk: the manifest, then each chunk.
	clear(synced)
	data = randomBytes(8, 2048)
	c, err := merkle.Split(bytes.NewReader(data), 1024, nil)
	if err != nil {
		t.Fatal(err)
	}
	m2 := &Manifest{Root: c.Root, Size: c.Size, ChunkSize: 1024, Leaves: c.Leaves}
	if err := s.PutManifest(m2); err != nil {
		t.Fatal(err)
	}
	if synced[filepath.Join(s.dir, "manifests")] == 0 {
		t.Error("a manifest was acknowledged without syncing its directory")
	}
	clear(synced)
	if err := s.PutChunk(m2.Root, 0, data[:1024]); err != nil {
		t.Fatal(err)
	}
	if synced[filepath.Dir(s.chunkPath(merkle.LeafHash(data[:1024])))] == 0 {
		t.Errorf("a chunk was acknowledged without syncing its directory (synced: %v)", synced)
	}
	clear(synced)
	if err := s.PutReplicaChunk(m2.Root, 1, data[1024:]); err != nil {
		t.Fatal(err)
	}
	if len(synced) != 0 {
		t.Errorf("a replica's chunk synced %v", synced)
	}
}

// A one-chunk blob held whole takes a manifest of it under another chunk
// size as already there (the CLI uploads the manifest first): nothing is
// refused, and the held manifest stays.
func TestOneChunkManifestUnderAnotherChunkSize(t *testing.T) {
	s := open(t)
	data := bytes.Repeat([]byte("x"), 3000)
	held, err := s.Put(bytes.NewReader(data), 4096, 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := merkle.Split(bytes.NewReader(data), 8192, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutManifest(&Manifest{Root: c.Root, Size: c.Size, ChunkSize: 8192, Leaves: c.Leaves}); err != nil {
		t.Fatalf("manifest of a held one-chunk blob under another chunk size: %v", err)
	}
	if m, _ := s.Manifest(held.Root); m.ChunkSize != held.ChunkSize {
		t.Fatalf("held manifest replaced: chunk size %d", m.ChunkSize)
	}
	if missing, err := s.Missing(held.Root); err != nil || len(missing) != 0 {
		t.Fatalf("missing %v, %v", missing, err)
	}
}
