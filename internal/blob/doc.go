// Package blob is the off-chain, content-addressed store for artifact
// bytes. A blob is cut into chunks (1 MiB by default); its id is the
// Merkle root over the chunks (package merkle), and its manifest lists the
// chunk hashes, the size and the chunk size. Chunks are files named by
// their hash, written to a temporary name, synced and renamed, so a crash
// never leaves a chunk whose name lies about its content; reads check the
// content against the name anyway.
//
// Uploads stream: one chunk is in memory at a time. A client that knows
// the manifest can send chunks one by one, in any order and over several
// connections, and resume by asking which are missing; every chunk is
// checked against the manifest before it is stored.
package blob
