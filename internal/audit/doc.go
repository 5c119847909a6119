// Package audit checks what the chain says about an artifact, offline,
// trusting nothing but the genesis file.
//
// A Bundle carries everything needed: the epoch-change certificates from
// genesis to the epoch of a header, the header and the QC that certifies
// it, the state records (artifact, committee, disputes, event roots) with
// sparse-Merkle proofs against the state root the header vouches for, and
// the artifact's events with RFC 6962 paths to their block's events root.
// Verify runs every check and names the first one that fails; a bundle is
// either entirely proven or rejected. The encoding is versioned and strict
// (see docs/audit.md for the byte layout).
package audit
