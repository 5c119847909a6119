// Package cluster holds end-to-end tests that run real lazchain processes
// on loopback: build the binary, write a testnet, route every p2p link
// through a proxy the test controls (to partition nodes), SIGKILL and
// restart validators under load, and check that all nodes converge.
package cluster
