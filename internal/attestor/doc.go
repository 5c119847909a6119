// Package attestor is this node's part in the iDAO committees it sits on.
// After every commit it looks at the artifacts awaiting a certificate; for
// each one whose iDAO's current committee includes this node's validator,
// it fetches every chunk (the vote is a data-availability promise, so the
// bytes must be here first), runs the deterministic verifier, signs the
// verdict with its BLS key and sends the vote to the other members. Votes
// are tallied per (artifact, rotation, verdict, digest); once one reaches
// the policy's threshold of committee stake, one member aggregates them
// into a certificate and submits it as a transaction. The member that
// aggregates first is chosen from the artifact id; the others wait a
// little and step in only if no certificate lands.
//
// Each iDAO has its own bounded worker pool, so a slow verifier or a large
// artifact in one iDAO never holds up another, and none of this runs on
// the consensus driver.
package attestor
