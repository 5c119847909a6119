// Package store keeps a node's chain data in Pebble: blocks by id, the
// committed chain by height, the transaction index, the consensus core's
// high QC and TC, and the safety rules' state. Blocks of 64 KiB and more
// live in a block log beside it (internal/blocklog), and Pebble keeps
// where each one is.
//
// Everything a Ready asks to persist is written in one synced batch, after
// the block log is synced, so a block the node reported as committed
// survives kill -9 at any moment. The package knows encodings and keys,
// not consensus rules.
package store
