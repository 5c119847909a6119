// Package p2p carries framed messages between lazchain nodes over TCP,
// mutually authenticated and encrypted with TLS 1.3 pinned to the nodes'
// ed25519 keys: a node accepts a connection only from a key it was told
// to trust, and knows every peer by that key.
//
// Each peer has a bounded send queue drained by its own writer; a peer
// whose queue overflows, or whose writes stall past a deadline, is
// disconnected so it cannot slow the others. Dialled peers are redialled
// with exponential back-off. The package moves bytes; it never interprets
// consensus messages (that is the node's driver loop).
package p2p
