// Package state is the deterministic state machine that committed blocks
// are applied to. Today it keeps account nonces and a receipt per
// transaction; staking, iDAOs, artifacts and disputes build on it.
//
// Applying a block depends on the block alone and on the state before it:
// no clock, no map order, no floating point. Its writes go into the same
// synced batch as the commit, so state and chain never disagree after a
// crash. Key prefixes are upper-case letters, apart from the store's own.
package state
