// Package blobnet moves off-chain blobs between nodes over the p2p
// network. A node that needs a blob asks its peers for the manifest, checks
// it against the root it wants, then fetches the missing chunks from
// several peers at once; every chunk is checked against the manifest by
// the store before it is kept, so a peer can waste our time but never
// plant bytes. A peer that sends a bad manifest or chunk is reported as
// faulty and not asked again during that fetch.
//
// Serving runs on a small pool of workers fed by a bounded queue: reading
// a chunk from disk never happens on a peer's reader goroutine, and a
// flood of requests is dropped, not queued without end.
package blobnet
