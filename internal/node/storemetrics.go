package node

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/lazchain/lazchain/internal/store"
)

// storeCollector exports the database's counters. One scrape reads them
// once (Pebble gathers its metrics under its own lock), so the series of
// a scrape are one consistent snapshot.
type storeCollector struct {
	stats func() store.Stats
	descs []*prometheus.Desc
}

var storeSeries = []struct {
	name, help string
	kind       prometheus.ValueType
	value      func(store.Stats) float64
}{
	{"lazchain_store_compactions_total", "Pebble compactions since the node started.", prometheus.CounterValue,
		func(s store.Stats) float64 { return float64(s.Compactions) }},
	{"lazchain_store_compaction_seconds_total", "Time spent in Pebble compactions since the node started.", prometheus.CounterValue,
		func(s store.Stats) float64 { return s.CompactionTime.Seconds() }},
	{"lazchain_store_compacted_bytes_total", "Bytes written by Pebble compactions.", prometheus.CounterValue,
		func(s store.Stats) float64 { return float64(s.CompactedBytes) }},
	{"lazchain_store_flushes_total", "Pebble memtable flushes.", prometheus.CounterValue,
		func(s store.Stats) float64 { return float64(s.Flushes) }},
	{"lazchain_store_flushed_bytes_total", "Bytes written by Pebble memtable flushes.", prometheus.CounterValue,
		func(s store.Stats) float64 { return float64(s.FlushedBytes) }},
	{"lazchain_store_ingested_bytes_total", "Bytes of tables ingested (the transaction index).", prometheus.CounterValue,
		func(s store.Stats) float64 { return float64(s.IngestedBytes) }},
	{"lazchain_store_l0_sublevels", "Pebble L0 sublevels: compactions start at 8, writes stop at 64.", prometheus.GaugeValue,
		func(s store.Stats) float64 { return float64(s.L0Sublevels) }},
	{"lazchain_store_disk_bytes", "Disk space used by Pebble (the block log is separate).", prometheus.GaugeValue,
		func(s store.Stats) float64 { return float64(s.DiskBytes) }},
	{"lazchain_store_write_stalls_total", "Times Pebble delayed writes for compactions to catch up.", prometheus.CounterValue,
		func(s store.Stats) float64 { return float64(s.WriteStalls) }},
	{"lazchain_store_write_stall_seconds_total", "Time writes were stalled (stalls that ended).", prometheus.CounterValue,
		func(s store.Stats) float64 { return s.StallTime.Seconds() }},
}

func newStoreCollector(stats func() store.Stats) *storeCollector {
	c := &storeCollector{stats: stats}
	for _, s := range storeSeries {
		c.descs = append(c.descs, prometheus.NewDesc(s.name, s.help, nil, nil))
	}
	return c
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	for i, s := range storeSeries {
		ch <- prometheus.MustNewConstMetric(c.descs[i], s.kind, s.value(st))
	}
}
