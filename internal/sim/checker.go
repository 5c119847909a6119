package sim

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/consensus"
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

// checkJustified checks that an honest node's commit follows the two-chain
// rule: the commit certificate certifies a block whose own QC is of the
// round just before it, and the last block committed is that block's
// parent, or below it when an epoch's end cut the chain short. Comparing
// nodes' commits alone misses a core that commits too eagerly while no
// fork happens to form.
func (s *simulation) checkJustified(n *node, r *consensus.Ready) {
	last := r.Committed[len(r.Committed)-1]
	qc := r.CommitQC
	if qc == nil {
		s.fail("SAFETY: node %d committed up to height %d with no commit certificate", n.id, last.Height)
		return
	}
	child := n.core.Block(qc.BlockID)
	if child == nil || child.QC == nil || child.QC.Round+1 != child.Round || qc.Round != child.Round {
		s.fail("SAFETY: node %d committed up to height %d on a certificate of round %d that does not end a two-chain", n.id, last.Height, qc.Round)
		return
	}
	b := n.core.Block(child.Parent)
	for b != nil && b.Height > last.Height {
		b = n.core.Block(b.Parent)
	}
	if b == nil || b.ID() != last.ID() {
		s.fail("SAFETY: node %d committed %s at height %d, not on the two-chain its certificate of round %d ends", n.id, last.ID().Short(), last.Height, qc.Round)
	}
}
