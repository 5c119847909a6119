// Package mempool holds signed transactions waiting to be proposed.
//
// A transaction enters only with a valid signature (checked in parallel
// batches before the pool's lock is taken), for this chain, with a nonce
// not yet used by its sender, and while the pool is under its count and
// byte limits. Per sender, transactions leave in nonce order. The pool
// remembers which transactions it verified so that a block carrying them
// costs no second signature check. It knows nothing about consensus.
//
// A sender's transactions are kept by nonce in a window that slides
// forward as its nonces commit (see window): a slice for the nonces near
// the ones held, a small map for any past a gap.
package mempool
