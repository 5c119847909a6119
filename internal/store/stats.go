package store

import (
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Stats is what an operator watches of the database: compactions are the
// storage work that competes with consensus for CPU, L0 sublevels are the
// backlog that decides when Pebble stalls writes, and stalls are the
// moments it did.
type Stats struct {
	Compactions    int64
	CompactionTime time.Duration
	CompactedBytes uint64 // written by compactions
	Flushes        int64
	FlushedBytes   uint64
	IngestedBytes  uint64
	L0Sublevels    int
	DiskBytes      uint64
	WriteStalls    uint64
	StallTime      time.Duration
}

// stalls counts Pebble's write stalls. Its listener runs on Pebble's
// goroutines, so the fields are atomic.
type stalls struct {
	count atomic.Uint64
	began atomic.Int64 // unix nanoseconds of the open stall, 0 if none
	total atomic.Int64 // nanoseconds stalled, closed stalls only
}

func (st *stalls) listener() pebble.EventListener {
	return pebble.EventListener{
		WriteStallBegin: func(pebble.WriteStallBeginInfo) {
			st.count.Add(1)
			st.began.Store(time.Now().UnixNano())
		},
		WriteStallEnd: func() {
			if b := st.began.Swap(0); b != 0 {
				st.total.Add(time.Now().UnixNano() - b)
			}
		},
	}
}

// Stats returns the database's counters since it was opened.
func (s *Store) Stats() Stats {
	m := s.db.Metrics()
	total := m.Total()
	return Stats{
		Compactions:    m.Compact.Count,
		CompactionTime: m.Compact.Duration,
		CompactedBytes: total.TableBytesCompacted,
		Flushes:        m.Flush.Count,
		FlushedBytes:   total.TableBytesFlushed,
		IngestedBytes:  total.TableBytesIngested,
		L0Sublevels:    int(m.Levels[0].Sublevels),
		DiskBytes:      m.DiskSpaceUsage(),
		WriteStalls:    s.stalls.count.Load(),
		StallTime:      time.Duration(s.stalls.total.Load()),
	}
}
