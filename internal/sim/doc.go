// Package sim is the deterministic simulator: many validators running the
// real consensus core and safety rules in one process, on one seeded PRNG
// and a virtual clock.
//
// The simulated network delays, drops, duplicates and reorders messages
// and partitions validators; validators crash and restart from their
// persisted state; Byzantine validators (equivocating leader, double voter,
// silent node, garbage sender, Twins) hold just under a third of the stake.
// After every step a checker compares every honest commit, and a ledger of
// the votes honest validators let out (alone or as their bit in a QC they
// send) catches a double vote; after the faults
// stop, a liveness phase requires new commits within a bounded number of
// rounds. The same seed gives the same trace hash, and a failure names the
// command that replays it.
//
// Everything in here is a stand-in for the outside world: the network, the
// disk, the clock. The consensus code under test is the production code.
package sim
