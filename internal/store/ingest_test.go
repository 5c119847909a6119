package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestIngestSorted(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	var kvs []KV
	for i := range 1000 {
		kvs = append(kvs, KV{Key: fmt.Appendf(nil, "R%04d", i), Value: fmt.Appendf(nil, "v%d", i)})
	}
	if err := s.IngestSorted(append([]KV{{Key: []byte("R"), Value: []byte("1")}}, kvs...)); err != nil {
		t.Fatal(err)
	}
	// A later ingest of a key wins over the earlier one.
	if err := s.IngestSorted([]KV{{Key: []byte("R"), Value: []byte("2")}, {Key: []byte("R9999"), Value: []byte("last")}}); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name string
		kvs  []KV
	}{
		{"descending", []KV{{Key: []byte("Rb")}, {Key: []byte("Ra")}}},
		{"duplicate", []KV{{Key: []byte("Rc")}, {Key: []byte("Rc")}}},
	}
	for _, tc := range bad {
		if err := s.IngestSorted(tc.kvs); !errors.Is(err, errUnsorted) {
			t.Errorf("%s: err = %v, want errUnsorted", tc.name, err)
		}
	}
	check := func(s *Store) {
		t.Helper()
		for _, kv := range []KV{{Key: []byte("R"), Value: []byte("2")}, kvs[0], kvs[999], {Key: []byte("R9999"), Value: []byte("last")}} {
			if got, err := s.Get(kv.Key); err != nil || string(got) != string(kv.Value) {
				t.Errorf("%s = %q, %v; want %q", kv.Key, got, err, kv.Value)
			}
		}
		for _, k := range []string{"Ra", "Rb", "Rc"} {
			if _, err := s.Get([]byte(k)); !errors.Is(err, ErrNotFound) {
				t.Errorf("%s from a refused ingest: err = %v", k, err)
			}
		}
	}
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check(open(t, dir))
}

// TestIngestLeftoversRemoved: a table a crash left before its ingest is
// deleted when the store opens again.
func TestIngestLeftoversRemoved(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	left := filepath.Join(dir, "ingest-1-1.sst")
	if err := os.WriteFile(left, []byte("half a table"), 0o600); err != nil {
		t.Fatal(err)
	}
	open(t, dir)
	if _, err := os.Stat(left); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("leftover still there: %v", err)
	}
}
