// Package bench drives an open-loop transaction load against a lazchain
// network and measures what it commits: throughput, submit-to-commit
// latency percentiles, and the CPU the nodes used. It talks to the nodes
// only through their public HTTP API.
package bench
