// Package verify holds the deterministic verifiers that iDAO members run
// on an artifact before they vote. Every honest member that runs the same
// verifier on the same bytes gets the same Result, bit for bit: the verdict
// and the result digest are what members sign, so anything that could
// differ between machines (map order, float formatting, wall-clock limits)
// is kept out of both.
//
// A verifier reads the artifact as a stream: the bytes were already checked
// chunk by chunk against the artifact's Merkle root by the blob store, so
// integrity is settled before a verifier starts, and a 2 GiB dataset never
// sits in memory.
package verify
