package blob

import (
	"encoding/hex"
	"errors"
	"fmt"
	"github.com/lazchain/lazchain/internal/fsync"
	"io/fs"
	"os"
	"path/filepath"
)

// staging holds a streamed upload's new chunks until the stream is whole
// and accepted; install then moves them into the store, discard drops
// them. Chunks already in the store are not written again.
type staging struct {
	s     *Store
	dir   string
	names map[Hash]int64 // staged chunk -> its size
	bytes int64          // quota taken for them
}

func (s *Store) newStaging() (*staging, error) {
	dir, err := os.MkdirTemp(filepath.Join(s.dir, "tmp"), "put-*")
	if err != nil {
		return nil, fmt.Errorf("blob upload: %w", err)
	}
	return &staging{s: s, dir: dir, names: map[Hash]int64{}}, nil
}

func (st *staging) path(h Hash) string { return filepath.Join(st.dir, hex.EncodeToString(h[:])) }

// add stages chunk h unless the store or this upload has it already.
func (st *staging) add(h Hash, data []byte) error {
	if _, ok := st.names[h]; ok {
		return nil
	}
	if info, err := os.Stat(st.s.chunkPath(h)); err == nil {
		if info.Size() == int64(len(data)) {
			return nil
		}
		st.s.dropTorn(st.s.chunkPath(h))
	}
	n := int64(len(data))
	if err := st.s.quota.take(n, true); err != nil {
		return err
	}
	st.bytes += n
	st.names[h] = n
	if err := st.s.writeFile(st.path(h), data, true, true); err != nil {
		return fmt.Errorf("blob upload: %w", err)
	}
	return nil
}

// install links every staged chunk to its place in the store; a chunk
// that arrived there meanwhile is not counted twice.
func (st *staging) install() error {
	dirs := map[string]bool{}
	for h, n := range st.names {
		p := st.s.chunkPath(h)
		if err := fsync.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("blob upload: %w", err)
		}
		dirs[filepath.Dir(p)] = true
		err := os.Link(st.path(h), p)
		if errors.Is(err, fs.ErrExist) {
			st.s.quota.give(n)
		} else if err != nil {
			return fmt.Errorf("blob upload: %w", err)
		}
		st.s.cache.markChecked(h)
		st.bytes -= n
		delete(st.names, h)
	}
	// The upload is acknowledged after this: its links must outlive a
	// power loss, and the staged copies are removed at the next start.
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("blob upload: %w", err)
		}
	}
	return nil
}

// discard removes what is still staged and gives its quota back.
func (st *staging) discard() {
	os.RemoveAll(st.dir)
	st.s.quota.give(st.bytes)
	st.bytes = 0
}

// place gives tmp its final name: a rename, which replaces, or a link,
// which fails with fs.ErrExist when the name is taken (tmp is removed
// either way on success).
func place(tmp, path string, replace bool) error {
	if replace {
		return os.Rename(tmp, path)
	}
	if err := os.Link(tmp, path); err != nil {
		return err
	}
	return os.Remove(tmp)
}
