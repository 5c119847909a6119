package sim

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/types"
)

// checker holds the invariants: every honest node's commits form one chain,
// and no two honest nodes commit different blocks at a height.
type checker struct {
	byHeight   map[uint64]types.Hash
	violations []string
	maxHeight  uint64
}

func newChecker() *checker { return &checker{byHeight: map[uint64]types.Hash{}} }

// onCommit checks blocks that node n just committed, in order.
func (c *checker) onCommit(now uint64, n *node, blocks []*types.Block) {
	for _, b := range blocks {
		if b.Height != n.height+1 || b.Parent != n.tip {
			c.fail(now, "node %d committed height %d (parent %s) after height %d (%s)", n.id, b.Height, b.Parent.Short(), n.height, n.tip.Short())
		}
		n.height, n.tip = b.Height, b.ID()
		if n.byzantine() {
			continue
		}
		if prev, ok := c.byHeight[b.Height]; ok && prev != b.ID() {
			c.fail(now, "SAFETY: node %d committed %s at height %d, another honest node committed %s", n.id, b.ID().Short(), b.Height, prev.Short())
		}
		c.byHeight[b.Height] = b.ID()
		c.maxHeight = max(c.maxHeight, b.Height)
	}
}

func (c *checker) fail(now uint64, format string, args ...any) {
	if len(c.violations) < 20 {
		c.violations = append(c.violations, fmt.Sprintf("t=%dms: ", now)+fmt.Sprintf(format, args...))
	}
}
