// Package blocklog keeps large blocks in append-only segment files beside
// the Pebble store, which holds only where each one is.
//
// A megabyte block written through Pebble is copied three times: into the
// write-ahead log, into the memtable's arena, and, at the flush, into a
// blob file. The arena copy alone was 6% of a loaded node's CPU, most of
// it page faults on fresh arena memory. Here a block is written once, and
// read back with one pread.
//
// The log is crash-safe by ordering, not by recovery: a caller syncs the
// log before it commits the locations that point into it, so a location
// on disk always names bytes on disk. Bytes appended and never synced are
// garbage past the last referenced record; the next append after a
// restart starts at the file's end, past them. Each record carries a
// CRC-32C, so a damaged record is an error, never a wrong block.
package blocklog
