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
//
// Disputes escalate to the whole active set, so every active validator,
// committee member or not, rules on every open dispute: it fetches the
// artifact (for an unavailability claim, failing to within
// Config.UnavailableAfter is the finding), re-runs the verifier, picks the
// side the chain would accept for its result (decide; it abstains when
// none fits), signs idao.RulingSigningBytes for the current epoch and
// sends a RulingVote on the same channel as the committee votes. Ruling
// votes are tallied per (dispute, epoch, side, verdict, digest) against
// the active set's stake; past two thirds, the validator at the dispute
// id's first byte mod the set size submits the ruling, the others after
// Backup in turn. Disputes have their own bounded pool; votes for disputes
// not yet open here are held within a per-peer budget. Nothing is
// persisted: the open disputes are read from the state at every dispatch,
// so a restart simply rules again.
//
// Fault turns a member Byzantine for fault-injection tests (config.toml
// idao.fault); it changes only what the member decides to sign (see
// conduct), never how it signs, sends or tallies.
package attestor
