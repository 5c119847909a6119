package consensus

import "fmt"

// Describe summarises the core's state for logs and failure reports.
func (c *Core) Describe() string {
	s := fmt.Sprintf("round %d high-qc %d committed %d fetching %d parked %d",
		c.round, c.highQC.Round, c.tree.committed.Height, len(c.fetching), len(c.pending))
	if b := c.tree.get(c.highQC.BlockID); b == nil {
		s += " (high-qc block missing)"
	}
	return s
}

// Stashed returns how many stale proposals' blocks are kept in memory in
// case a QC names them.
func (c *Core) Stashed() int { return len(c.stash) }
