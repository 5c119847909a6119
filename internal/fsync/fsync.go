// Package fsync makes directory entries durable.
//
// Syncing a file makes its bytes durable, not its name: a file created,
// renamed or linked into a directory can vanish after a power loss until
// the directory itself is synced. Every store that acknowledges a write
// after placing a file by name needs both.
package fsync

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Dir syncs the directory dir, making the names created, renamed or
// removed in it durable.
func Dir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir %s to sync: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync dir %s: %w", dir, err)
	}
	return nil
}

// MkdirAll creates dir like os.MkdirAll and, if it did not exist, syncs
// each parent that gained an entry, so the new directory survives a power
// loss along with what is later placed in it.
func MkdirAll(dir string, perm fs.FileMode) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// The highest missing ancestor's parent, and every directory below it,
	// gain an entry.
	top := dir
	for {
		parent := filepath.Dir(top)
		if parent == top {
			break
		}
		if _, err := os.Stat(parent); err == nil {
			break
		}
		top = parent
	}
	if err := os.MkdirAll(dir, perm); err != nil {
		return err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if err := Dir(filepath.Dir(d)); err != nil {
			return err
		}
		if d == top {
			return nil
		}
	}
}
