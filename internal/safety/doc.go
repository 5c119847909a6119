// Package safety is the consensus signer: the only code that holds a
// validator's BLS key and signs proposals, votes and timeouts.
//
// Before it returns any signature it updates and durably stores its safety
// data (last voted round, preferred round, highest QC round, the last vote
// and timeout) through a Storage; the file Storage fsyncs the file and its
// directory, and the node's Pebble storage puts it in the synced batch that
// precedes every send. Because the state is on disk before the signature
// leaves the process, a crash at any moment, followed by a restart, can
// never make it sign two conflicting messages for one round.
//
// It checks the two-chain voting rules of Jolteon / DiemBFT v4 itself, so a
// bug in the consensus core cannot make it equivocate. It does not verify
// certificates (the core does) and never sends anything.
package safety
