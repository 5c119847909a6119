package store

import (
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

func TestStatsCountIngestsAndDisk(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before := s.Stats()
	if err := s.IngestSorted([]KV{{Key: []byte{0xF1, 1}, Value: []byte("a")}, {Key: []byte{0xF1, 2}, Value: []byte("b")}}); err != nil {
		t.Fatal(err)
	}
	after := s.Stats()
	if after.IngestedBytes <= before.IngestedBytes {
		t.Fatalf("ingested bytes %d after an ingest, %d before", after.IngestedBytes, before.IngestedBytes)
	}
	if after.DiskBytes == 0 {
		t.Fatal("disk bytes 0 with a table in the database")
	}
}

func TestStallsCountBeginAndTime(t *testing.T) {
	st := &stalls{}
	l := st.listener()
	l.WriteStallEnd() // an end without a begin adds nothing
	l.WriteStallBegin(pebble.WriteStallBeginInfo{Reason: "memtable count limit reached"})
	time.Sleep(2 * time.Millisecond)
	l.WriteStallEnd()
	if st.count.Load() != 1 {
		t.Fatalf("%d stalls, want 1", st.count.Load())
	}
	if d := time.Duration(st.total.Load()); d < 2*time.Millisecond || d > time.Minute {
		t.Fatalf("stalled %v, want about 2ms", d)
	}
}
