// Package light follows validator sets from a genesis file alone: each
// epoch's set is accepted only with a certificate, signed by more than 2/3
// of the previous epoch's stake, over the new set's hash and the block
// the previous epoch ended with. Nothing a node says is trusted beyond
// what those signatures cover. Audits of verdicts build on the sets it
// returns.
package light
