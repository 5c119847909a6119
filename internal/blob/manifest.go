package blob

import (
	"errors"
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/merkle"
)

// Hash is a chunk hash or a blob id.
type Hash = merkle.Hash

// Limits of what the store accepts. Costs grow with the chunk count (a
// manifest holds 32 bytes per chunk, a completeness check stats each), so
// it is bounded on its own. MaxChunks is the chain's bound on artifacts
// (idao.MaxArtifactChunks), which a verifier must be able to fetch;
// clients upload at most MaxUploadChunks (2 MiB of hashes: 4 GiB in
// chunks of 64 KiB, 64 GiB in chunks of 1 MiB), so that one-byte chunks
// cannot make a small upload expensive to hold and serve.
const (
	MaxSize         = 64 << 30 // one blob
	MaxChunks       = 1 << 20
	MaxUploadChunks = 1 << 16
)

// ErrBadManifest reports a manifest that does not describe a valid blob.
var ErrBadManifest = errors.New("blob: bad manifest")

// Manifest describes a blob: its root, size, chunk size and the hash of
// every chunk in order.
type Manifest struct {
	Root      Hash
	Size      int64
	ChunkSize int
	Leaves    []Hash
}

// Fits reports whether m describes the blob wanted as size bytes in
// chunks of chunkSize. A blob of one chunk has the same root, leaf and
// bytes under every chunk size at least its size, so only the size must
// match then: comparing chunk sizes exactly let anyone re-upload such a
// blob with another chunk size and make it unavailable under the one an
// artifact names.
func (m *Manifest) Fits(size int64, chunkSize int) bool {
	if m.Size != size {
		return false
	}
	return m.ChunkSize == chunkSize || (size <= int64(m.ChunkSize) && size <= int64(chunkSize))
}

// Count is the number of chunks.
func (m *Manifest) Count() uint64 { return uint64(len(m.Leaves)) }

// ChunkLen is the length chunk i must have.
func (m *Manifest) ChunkLen(i uint64) int {
	if i+1 < m.Count() {
		return m.ChunkSize
	}
	return int(m.Size - int64(m.ChunkSize)*int64(m.Count()-1))
}

// Check verifies that the manifest is consistent: the chunk count follows
// from size and chunk size, and the leaves hash to the root. The root
// alone does not bind the count: inner hashes of the tree, taken as
// leaves, pass under a smaller size. Such a manifest can never be
// complete (no chunk hashes to an inner node), which is how the store
// tells it from the true one.
func (m *Manifest) Check() error {
	switch {
	case m.ChunkSize <= 0 || m.ChunkSize > merkle.MaxChunk:
		return fmt.Errorf("chunk size %d: %w", m.ChunkSize, ErrBadManifest)
	case m.Size < 0 || m.Size > MaxSize:
		return fmt.Errorf("size %d: %w", m.Size, ErrBadManifest)
	}
	want := (m.Size + int64(m.ChunkSize) - 1) / int64(m.ChunkSize)
	if want > MaxChunks {
		return fmt.Errorf("%d bytes in chunks of %d are over %d chunks: %w", m.Size, m.ChunkSize, MaxChunks, ErrBadManifest)
	}
	if int64(len(m.Leaves)) != want {
		return fmt.Errorf("%d chunk hashes for %d bytes in chunks of %d: %w", len(m.Leaves), m.Size, m.ChunkSize, ErrBadManifest)
	}
	if merkle.Root(m.Leaves) != m.Root {
		return fmt.Errorf("chunk hashes do not make root %x: %w", m.Root[:4], ErrBadManifest)
	}
	return nil
}

const manifestVersion = 1

// Encode returns the canonical encoding.
func (m *Manifest) Encode() []byte {
	w := codec.NewWriter(64 + 32*len(m.Leaves))
	w.U8(manifestVersion)
	w.Fixed(m.Root[:])
	w.U64(uint64(m.Size))
	w.U32(uint32(m.ChunkSize))
	w.U32(uint32(len(m.Leaves)))
	for _, l := range m.Leaves {
		w.Fixed(l[:])
	}
	return w.Bytes()
}

// DecodeManifest parses and checks a manifest.
func DecodeManifest(b []byte) (*Manifest, error) {
	r := codec.NewReader(b)
	r.Version(manifestVersion)
	m := &Manifest{}
	copy(m.Root[:], r.Fixed(32))
	m.Size = int64(r.U64())
	m.ChunkSize = int(r.U32())
	n := r.Count(MaxChunks, 32)
	m.Leaves = make([]Hash, 0, n)
	for i := 0; i < n && r.Err() == nil; i++ {
		var l Hash
		copy(l[:], r.Fixed(32))
		m.Leaves = append(m.Leaves, l)
	}
	if err := r.Finish(); err != nil {
		return nil, fmt.Errorf("decode manifest: %w", err)
	}
	if err := m.Check(); err != nil {
		return nil, err
	}
	return m, nil
}
