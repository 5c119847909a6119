// Package node assembles a running lazchain node: Pebble store, consensus
// core and safety rules, state machine, mempool, p2p host and metrics, all
// driven by one loop.
//
// The driver loop is the only goroutine that touches the consensus core.
// It steps the core with received messages, timer firings and payloads,
// then carries out the core's Ready in the required order: execute the
// committed blocks, write blocks, certificates and state in one synced
// batch, and only then send messages, arm the timer and answer waiters.
// Decoding and signature checks of transactions happen on p2p and API
// goroutines, never on the loop.
package node
