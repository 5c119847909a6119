package blob

import (
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/lazchain/lazchain/internal/fsync"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/lazchain/lazchain/internal/merkle"
)

// Errors callers branch on.
var (
	ErrNotFound   = errors.New("blob: not found")
	ErrBadChunk   = errors.New("blob: chunk does not match its hash")
	ErrTooLarge   = errors.New("blob: too large")
	ErrIncomplete = errors.New("blob: chunks missing")
)

// Store keeps chunks and manifests under a directory.
type Store struct {
	dir   string
	cache cache
	quota quota

	mu      sync.Mutex
	arrived chan struct{} // closed at the next write; see Follow

	// manifests serialises writing a manifest file, from the check of the
	// file it replaces to the rename: concurrent writes of one new root
	// each charged its whole size to the quota, for one file on disk.
	manifests sync.Mutex
}

// Open creates or opens a store in dir.
func Open(dir string) (*Store, error) {
	// What tmp holds is a crashed write's or upload's leftovers.
	if err := os.RemoveAll(filepath.Join(dir, "tmp")); err != nil {
		return nil, fmt.Errorf("blob store %s: %w", dir, err)
	}
	for _, d := range []string{"chunks", "manifests", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("blob store %s: %w", dir, err)
		}
	}
	s := &Store{dir: dir, cache: newCache()}
	if err := s.quota.load(dir); err != nil {
		return nil, fmt.Errorf("blob store %s: %w", dir, err)
	}
	return s, nil
}

func (s *Store) chunkPath(h Hash) string {
	x := hex.EncodeToString(h[:])
	return filepath.Join(s.dir, "chunks", x[:2], x)
}

func (s *Store) manifestPath(root Hash) string {
	return filepath.Join(s.dir, "manifests", hex.EncodeToString(root[:]))
}

// Put streams r into the store in chunks of chunkSize and returns the
// blob's manifest. It refuses a stream longer than maxSize or
// MaxUploadChunks chunks, or past the quota, and then leaves nothing
// behind: new chunks wait in a staging directory of their own until the
// whole stream is in, so a refused upload never deletes a chunk another
// blob may share.
func (s *Store) Put(r io.Reader, chunkSize int, maxSize int64) (*Manifest, error) {
	if maxSize <= 0 || maxSize > MaxSize {
		maxSize = MaxSize
	}
	st, err := s.newStaging()
	if err != nil {
		return nil, err
	}
	defer st.discard()
	lr := &io.LimitedReader{R: r, N: maxSize + 1}
	c, err := merkle.Split(lr, chunkSize, func(i uint64, chunk []byte) error {
		if lr.N <= 0 {
			return fmt.Errorf("over %d bytes: %w", maxSize, ErrTooLarge)
		}
		if i >= MaxUploadChunks {
			return fmt.Errorf("over %d chunks of %d bytes (use larger chunks): %w", MaxUploadChunks, chunkSize, ErrTooLarge)
		}
		return st.add(merkle.LeafHash(chunk), chunk)
	})
	if err != nil {
		return nil, err
	}
	if c.Size > maxSize {
		return nil, fmt.Errorf("over %d bytes: %w", maxSize, ErrTooLarge)
	}
	m := &Manifest{Root: c.Root, Size: c.Size, ChunkSize: chunkSize, Leaves: c.Leaves}
	if err := m.Check(); err != nil {
		return nil, err
	}
	s.manifests.Lock()
	defer s.manifests.Unlock()
	if old, err := s.Manifest(m.Root); err == nil && (old.Size != m.Size || old.ChunkSize != m.ChunkSize) {
		// The same bytes under another chunk size (a blob of one chunk has
		// one root whatever the chunk size): a complete blob's manifest
		// stays, as in putManifest, and is what the upload returns.
		if missing, err := s.Missing(m.Root); err == nil && len(missing) == 0 {
			return old, nil
		}
	}
	b, delta, err := s.takeManifest(m, true)
	if err != nil {
		return nil, err
	}
	if err := st.install(); err != nil {
		s.quota.give(delta)
		return nil, err
	}
	if err := s.writeManifest(m, b, delta, true); err != nil {
		return nil, err
	}
	return m, nil
}

// PutManifest records a checked manifest, so its chunks can be uploaded
// one by one.
func (s *Store) PutManifest(m *Manifest) error {
	if m.Count() > MaxUploadChunks {
		return fmt.Errorf("%d chunks, over %d (use larger chunks): %w", m.Count(), MaxUploadChunks, ErrTooLarge)
	}
	return s.putManifest(m, true)
}

// PutReplicaManifest is PutManifest for a copy fetched from a peer: it is
// not synced, because a copy lost or torn in a crash is noticed on read
// (the manifest no longer decodes or checks) and fetched again; only the
// copy a client uploaded pays for an fsync per write.
func (s *Store) PutReplicaManifest(m *Manifest) error { return s.putManifest(m, false) }

func (s *Store) putManifest(m *Manifest, client bool) error {
	if err := m.Check(); err != nil {
		return err
	}
	if old := s.cache.manifest(m.Root); old != nil && old.Size == m.Size && old.ChunkSize == m.ChunkSize {
		// Written already. A root does not bind the count, so another
		// manifest of the same root (a forged size) is replaced below.
		return nil
	}
	s.manifests.Lock()
	defer s.manifests.Unlock()
	if old, err := s.Manifest(m.Root); err == nil && (old.Size != m.Size || old.ChunkSize != m.ChunkSize) {
		// A forged manifest folds leaves into their parents, so it has
		// fewer: only one with more leaves can be truer than the one
		// held, and the true one has the most (a leaf hash unfolds into
		// no children). Before, a forgery stored during a fetch made every
		// honest peer's chunks fail and the fetch give up. And a complete
		// blob's manifest is the true one: replacing it would hide the
		// blob from every reader.
		if missing, err := s.Missing(m.Root); err == nil && len(missing) == 0 {
			if old.Fits(m.Size, m.ChunkSize) {
				return nil // the same bytes under another chunk size: nothing to add
			}
			return fmt.Errorf("blob %x is held complete as %d bytes in chunks of %d: %w", m.Root[:4], old.Size, old.ChunkSize, ErrBadManifest)
		}
		// With as many leaves, the leaves are the same (one root): the two
		// differ in size or chunk size only, and neither is truer. Refusing
		// the later one let a forged size, stored first, block the true
		// one for good.
		if len(m.Leaves) < len(old.Leaves) {
			return fmt.Errorf("blob %x is held as %d chunks; a manifest of %d cannot replace it: %w", m.Root[:4], len(old.Leaves), len(m.Leaves), ErrBadManifest)
		}
	}
	b, delta, err := s.takeManifest(m, client)
	if err != nil {
		return err
	}
	return s.writeManifest(m, b, delta, client)
}

// takeManifest encodes m and accounts the bytes it adds: a manifest
// replaces any earlier file of its root, so only the difference counts.
func (s *Store) takeManifest(m *Manifest, client bool) ([]byte, int64, error) {
	b := m.Encode()
	delta := int64(len(b))
	if info, err := os.Stat(s.manifestPath(m.Root)); err == nil {
		delta -= info.Size()
	}
	if err := s.quota.take(delta, client); err != nil {
		return nil, 0, err
	}
	return b, delta, nil
}

func (s *Store) writeManifest(m *Manifest, b []byte, delta int64, client bool) error {
	if err := s.writeFile(s.manifestPath(m.Root), b, client, true); err != nil {
		s.quota.give(delta)
		return err
	}
	if client {
		if err := syncDir(filepath.Join(s.dir, "manifests")); err != nil {
			return err
		}
	}
	s.cache.putManifest(m)
	s.announce()
	return nil
}

// PutChunk stores chunk i of a known blob after checking it against the
// manifest: its length and its hash.
func (s *Store) PutChunk(root Hash, i uint64, data []byte) error {
	return s.putChunk(root, i, data, true)
}

// PutReplicaChunk is PutChunk for a chunk fetched from a peer, without the
// fsync: a chunk file torn by a crash fails its hash on read, is deleted
// there, and so is missing and fetched again.
func (s *Store) PutReplicaChunk(root Hash, i uint64, data []byte) error {
	return s.putChunk(root, i, data, false)
}

// putChunk stores a checked chunk. A client's upload is synced and held
// to the quota; a replica is neither (see SetLimits).
func (s *Store) putChunk(root Hash, i uint64, data []byte, client bool) error {
	m, err := s.Manifest(root)
	if err != nil {
		return err
	}
	if i >= m.Count() {
		return fmt.Errorf("chunk %d of %d: %w", i, m.Count(), ErrNotFound)
	}
	leaf := merkle.LeafHash(data)
	if leaf != m.Leaves[i] {
		return fmt.Errorf("chunk %d of %x: %w", i, root[:4], ErrBadChunk)
	}
	if len(data) != m.ChunkLen(i) {
		// The bytes are the chunk the root names (the leaf binds them):
		// it is the manifest's size that is wrong, not the sender.
		return fmt.Errorf("chunk %d of %x is %d bytes, the manifest held says %d: %w", i, root[:4], len(data), m.ChunkLen(i), ErrBadManifest)
	}
	if _, err := s.writeChunk(m.Leaves[i], data, client); err != nil {
		return err
	}
	s.announce()
	return nil
}

// Manifest returns a blob's manifest. It may be shared: callers must not
// modify it.
func (s *Store) Manifest(root Hash) (*Manifest, error) {
	if m := s.cache.manifest(root); m != nil {
		return m, nil
	}
	b, err := os.ReadFile(s.manifestPath(root))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %x: %w", root, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	m, err := DecodeManifest(b)
	if err != nil {
		return nil, err
	}
	if m.Root != root {
		return nil, fmt.Errorf("manifest file of %x holds %x: %w", root[:4], m.Root[:4], ErrBadManifest)
	}
	s.cache.putManifest(m)
	return m, nil
}

// Missing lists the chunks of a known blob that the store lacks.
func (s *Store) Missing(root Hash) ([]uint64, error) {
	m, err := s.Manifest(root)
	if err != nil {
		return nil, err
	}
	if s.cache.isComplete(m) {
		return nil, nil
	}
	gen := s.cache.generation()
	var out []uint64
	for i, l := range m.Leaves {
		// A chunk written unsynced can come back from a crash short or
		// empty under its name: it is not there.
		if info, err := os.Stat(s.chunkPath(l)); err != nil || info.Size() != int64(m.ChunkLen(uint64(i))) {
			out = append(out, uint64(i))
		}
	}
	if len(out) == 0 {
		s.cache.markComplete(m, gen)
	}
	return out, nil
}

// Chunk returns chunk i of a blob with its Merkle proof. A chunk whose
// bytes no longer match its hash (disk corruption) is reported, not served.
func (s *Store) Chunk(root Hash, i uint64) ([]byte, merkle.Proof, error) {
	m, err := s.Manifest(root)
	if err != nil {
		return nil, merkle.Proof{}, err
	}
	if i >= m.Count() {
		return nil, merkle.Proof{}, fmt.Errorf("chunk %d of %d: %w", i, m.Count(), ErrNotFound)
	}
	data, err := s.readChunk(m.Leaves[i])
	if err != nil {
		return nil, merkle.Proof{}, fmt.Errorf("chunk %d of %x: %w", i, root[:4], err)
	}
	p, err := s.cache.tree(m).Prove(i)
	return data, p, err
}

func (s *Store) readChunk(h Hash) ([]byte, error) {
	data, err := os.ReadFile(s.chunkPath(h))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if merkle.LeafHash(data) != h {
		// Torn by a crash or rotted on disk: drop it so the chunk counts as
		// missing and is fetched or uploaded again.
		s.quota.remove(s.chunkPath(h))
		s.cache.dropped()
		return nil, ErrBadChunk
	}
	s.cache.markChecked(h)
	return data, nil
}

// readRecent is readChunk without the hash when this process wrote or
// checked the file within recentlyChecked.
func (s *Store) readRecent(h Hash) ([]byte, error) {
	if !s.cache.checkedRecently(h) {
		return s.readChunk(h)
	}
	data, err := os.ReadFile(s.chunkPath(h))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	return data, err
}

// ChunkData returns chunk i of a blob without a proof, for peers that
// hold the manifest and check the chunk against it themselves; a copy
// checked moments ago is not hashed again (see Store.checked).
func (s *Store) ChunkData(root Hash, i uint64) ([]byte, error) {
	m, err := s.Manifest(root)
	if err != nil {
		return nil, err
	}
	if i >= m.Count() {
		return nil, fmt.Errorf("chunk %d of %d: %w", i, m.Count(), ErrNotFound)
	}
	data, err := s.readRecent(m.Leaves[i])
	if err != nil {
		return nil, fmt.Errorf("chunk %d of %x: %w", i, root[:4], err)
	}
	return data, nil
}

// Reader streams a complete blob's bytes in order, checking each chunk.
func (s *Store) Reader(root Hash) (io.Reader, *Manifest, error) {
	m, err := s.Manifest(root)
	if err != nil {
		return nil, nil, err
	}
	if missing, _ := s.Missing(root); len(missing) > 0 {
		return nil, nil, fmt.Errorf("%d of %d chunks: %w", len(missing), m.Count(), ErrIncomplete)
	}
	return &reader{s: s, m: m}, m, nil
}

type reader struct {
	s   *Store
	m   *Manifest
	i   uint64
	buf []byte
}

func (r *reader) Read(p []byte) (int, error) {
	for len(r.buf) == 0 {
		if r.i >= r.m.Count() {
			return 0, io.EOF
		}
		data, err := r.s.readChunk(r.m.Leaves[r.i])
		if err != nil {
			return 0, fmt.Errorf("chunk %d: %w", r.i, err)
		}
		r.buf, r.i = data, r.i+1
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// writeChunk stores data under its hash unless it is there already (it
// reports whether it wrote); a client's chunk is synced and held to the
// quota.
func (s *Store) writeChunk(h Hash, data []byte, client bool) (bool, error) {
	p := s.chunkPath(h)
	if info, err := os.Stat(p); err == nil {
		if info.Size() == int64(len(data)) {
			return false, nil // content-addressed: same name, same bytes
		}
		s.dropTorn(p)
	}
	if err := s.makeDir(filepath.Dir(p), client); err != nil {
		return false, err
	}
	if err := s.quota.take(int64(len(data)), client); err != nil {
		return false, err
	}
	if err := s.writeFile(p, data, client, false); err != nil {
		s.quota.give(int64(len(data)))
		if errors.Is(err, fs.ErrExist) {
			return false, nil // written by a concurrent upload meanwhile
		}
		return false, err
	}
	if client {
		// Acknowledged once this returns: the name must outlive a power
		// loss, not only the bytes.
		if err := syncDir(filepath.Dir(p)); err != nil {
			return true, err
		}
	}
	s.cache.markChecked(h) // every caller hashed data to name it
	return true, nil
}

// makeDir creates a chunk directory; for a client's write, durably.
func (s *Store) makeDir(dir string, client bool) error {
	if client {
		return fsync.MkdirAll(dir, 0o755)
	}
	return os.MkdirAll(dir, 0o755)
}

// dropTorn removes a chunk file whose size is not its chunk's: one written
// unsynced and torn by a crash, which an upload of the chunk replaces
// rather than taking it for stored.
func (s *Store) dropTorn(path string) {
	s.quota.remove(path)
	s.cache.dropped()
}

// writeFile writes through a temporary file (synced unless sync is false)
// and a rename, so the final name only ever holds complete content. With
// replace false it links instead, and fails with fs.ErrExist if the name
// is taken: a chunk's bytes are then counted once however many uploads
// race to write it.
func (s *Store) writeFile(path string, data []byte, sync, replace bool) error {
	f, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), "w-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = place(tmp, path, replace)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// syncDir makes a directory's entries durable; a variable so that tests
// can see which directories a write synced.
var syncDir = fsync.Dir
