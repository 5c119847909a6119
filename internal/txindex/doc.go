// Package txindex maps the hash of every transaction with a receipt to
// where the receipt is: the block's height and the transaction's position
// in it. The API's GET /txs/{hash} and the state machine's replay check
// read it.
//
// The index is derived data. The receipts themselves are stored with the
// state, one record per block; the index only says where to look, and it
// can be rebuilt from the blocks and those records. So it is written late
// and in bulk: entries collect in memory, and every so often a background
// goroutine sorts them and adds them to the store as one table
// (store.IngestSorted). Written one by one through Pebble's memtable, the
// random hash keys cost a tenth of a loaded node's CPU.
//
// The table carries a marker, the height through which it holds every
// entry, so a restarted node knows which blocks to index again. A crash
// loses only entries in memory, and those are above the marker.
package txindex
