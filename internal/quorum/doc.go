// Package quorum is the stake arithmetic of BFT: how much stake is a quorum,
// how much can be faulty, and whether a set of signers reaches a threshold.
//
// It is pure integer arithmetic on stake, never on head-count, and it never
// overflows: totals are checked when a set is built. It knows nothing about
// keys, messages or rounds.
package quorum
