// Package consensus is lazchain's pure BFT core: a stake-weighted two-chain
// HotStuff of the Jolteon / DiemBFT-v4 family.
//
// A Core changes only inside Step(event). Events are a received message, a
// fired timer, or a payload the driver prepared. The actions that result —
// blocks and the high QC to persist, blocks to commit, messages to send, a
// timer to set, a payload or block to fetch — pile up in a Ready value that
// the driver takes with Ready(), carries out in order (persist, commit,
// send), and then steps again.
//
// The core does no I/O, starts no goroutines, reads no clock and uses no
// global random source; time is the driver's ticks. It signs only through
// the injected Signer (package safety in production), which persists its
// own state before a signature exists. The same code runs in the node and
// in the deterministic simulator.
//
// Rules in one place:
//   - A proposal carries the QC of its parent, and the TC of the previous
//     round when that round timed out.
//   - A block commits when it heads a two-chain: it is certified, and its
//     certified child has the next round.
//   - Rounds advance on a QC or a TC; the round timer backs off
//     exponentially across consecutive timeouts and resets on a QC.
//   - Leaders rotate by a stake-weighted draw (ValidatorSet.Leader).
//   - Every invalid message is dropped and counted by reason, never trusted.
package consensus
