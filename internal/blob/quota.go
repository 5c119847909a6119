package blob

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// ErrFull reports an upload refused for space: the store's quota, or the
// free disk the node keeps for its database.
var ErrFull = errors.New("blob: storage full")

// quota tracks the bytes of chunk files. Anyone who can reach the API can
// upload, and the store never deletes, so without a bound uploads would
// fill the disk under the node's own database.
type quota struct {
	mu      sync.Mutex
	dir     string
	used    int64
	max     int64 // bytes clients may store in all; 0 for no limit
	reserve int64 // free disk left for everything else
}

// load counts the chunk and manifest files already under the store's dir.
func (q *quota) load(dir string) error {
	q.dir = dir
	for _, sub := range []string{"chunks", "manifests"} {
		if err := q.count(filepath.Join(dir, sub)); err != nil {
			return err
		}
	}
	return nil
}

func (q *quota) count(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		q.used += info.Size()
		return nil
	})
}

// SetLimits bounds the store: maxBytes of chunks in all (0 for none), and
// reserve bytes of the disk left free. Chunks fetched from peers for
// verification count towards the quota but are refused only by the
// reserve: a validator must be able to fetch what it is asked to check.
func (s *Store) SetLimits(maxBytes, reserve int64) {
	s.quota.mu.Lock()
	defer s.quota.mu.Unlock()
	s.quota.max, s.quota.reserve = maxBytes, reserve
}

// Used is the bytes of chunks and manifests the store holds.
func (s *Store) Used() int64 {
	s.quota.mu.Lock()
	defer s.quota.mu.Unlock()
	return s.quota.used
}

// take accounts n more bytes, or refuses them.
func (q *quota) take(n int64, client bool) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if client && q.max > 0 && q.used+n > q.max {
		return fmt.Errorf("%w: uploads hold %d of the %d bytes this node stores (blobs.max_bytes)", ErrFull, q.used, q.max)
	}
	if q.reserve > 0 {
		if free, err := freeBytes(q.dir); err == nil && free-n < q.reserve {
			return fmt.Errorf("%w: %d bytes free on disk, and the node keeps %d free (blobs.reserve_bytes)", ErrFull, free, q.reserve)
		}
	}
	q.used += n
	return nil
}

func (q *quota) give(n int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.used -= n
}

// remove deletes a chunk file and its bytes from the count.
func (q *quota) remove(path string) {
	info, err := os.Stat(path)
	if err != nil {
		return
	}
	if os.Remove(path) == nil {
		q.give(info.Size())
	}
}

func freeBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
