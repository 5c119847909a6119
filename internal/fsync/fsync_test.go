package fsync

import (
	"os"
	"path/filepath"
	"testing"
)

// MkdirAll creates every missing level and is a no-op for an existing
// directory; Dir fails clearly on a missing one.
func TestMkdirAllAndDir(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b", "c")
	for i := 0; i < 2; i++ { // the second call finds it there
		if err := MkdirAll(deep, 0o755); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if info, err := os.Stat(deep); err != nil || !info.IsDir() {
			t.Fatalf("call %d: %s not a directory: %v", i, deep, err)
		}
	}
	if err := Dir(deep); err != nil {
		t.Fatal(err)
	}
	if err := Dir(filepath.Join(root, "missing")); err == nil {
		t.Fatal("syncing a missing directory succeeded")
	}
	file := filepath.Join(root, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := MkdirAll(filepath.Join(file, "under"), 0o755); err == nil {
		t.Fatal("a directory under a file was created")
	}
}
