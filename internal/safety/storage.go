package safety

import (
	"errors"
	"fmt"
	"github.com/lazchain/lazchain/internal/fsync"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Storage makes Data durable. Data passed to Store must survive a crash
// of the process or the machine before any signature made after it leaves
// the process: FileStorage and MemStorage finish before Store returns; the
// node's Pebble storage writes it in the synced batch that its driver
// commits before sending anything.
type Storage interface {
	Load() (Data, error) // zero Data when nothing was ever stored
	Store(d Data) error
}

// FileStorage keeps Data in one file, replaced atomically: write a temporary
// file, fsync it, rename it over the old one, fsync the directory so the
// rename itself is durable.
type FileStorage struct {
	path string
}

// NewFileStorage stores at path; its directory must exist.
func NewFileStorage(path string) *FileStorage { return &FileStorage{path: path} }

// Load reads the file; a missing file is a fresh signer.
func (s *FileStorage) Load() (Data, error) {
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return Data{}, nil
	}
	if err != nil {
		return Data{}, fmt.Errorf("read safety data %s: %w", s.path, err)
	}
	d, err := DecodeData(b)
	if err != nil {
		return Data{}, fmt.Errorf("safety data %s: %w", s.path, err)
	}
	return d, nil
}

// Store replaces the file durably.
func (s *FileStorage) Store(d Data) error {
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("store safety data: %w", err)
	}
	if _, err := f.Write(d.Encode()); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("fsync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("rename %s: %w", tmp, err)
	}
	return fsync.Dir(filepath.Dir(s.path))
}

// MemStorage keeps Data in memory. The simulator uses it to model a disk
// that survives a simulated crash: the validator is rebuilt, the MemStorage
// is kept.
type MemStorage struct {
	mu sync.Mutex
	d  Data
}

func (m *MemStorage) Load() (Data, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.d, nil
}

func (m *MemStorage) Store(d Data) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.d = d
	return nil
}
