// Package types defines the values that consensus signs, sends and stores —
// blocks, proposals, votes, quorum and timeout certificates, transactions —
// with their canonical, versioned binary encoding and the domain-separated
// bytes that each signature covers.
//
// It owns encoding and structural validation (sizes, lengths, versions). It
// does not verify signatures against stake: that needs a validator set and a
// crypto.Scheme, and lives in the methods on ValidatorSet. It does no I/O.
package types
