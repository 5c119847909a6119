package sim

import "github.com/lazchain/lazchain/internal/types"

// voteKey names one validator's vote slot: a round of an epoch.
type voteKey struct {
	index        int
	epoch, round uint64
}

// votesLeaving records every vote an honest validator's node lets out,
// alone or as its own bit in a QC it sends (an announcement, a proposal's,
// a timeout's high QC), and fails the run on two for different blocks in
// one round. Its safety rules must prevent that across restarts, and a QC
// that leaves with its bit speaks for its vote as much as the vote does,
// whether or not that vote was written first.
func (s *simulation) votesLeaving(n *node, m types.Message) {
	if n.byzantine() {
		return
	}
	switch m := m.(type) {
	case *types.Vote:
		s.voteLeft(n, m.Epoch, m.Round, m.BlockID, "vote")
		if h, ok := s.forks[m.BlockID]; ok {
			s.res.ForkVotes++
			s.res.ForkVoteHeight = max(s.res.ForkVoteHeight, h)
		}
	case *types.Certified:
		s.qcLeft(n, m.QC, "announced QC")
	case *types.Proposal:
		if m.Block != nil {
			s.qcLeft(n, m.Block.QC, "proposal's QC")
		}
	case *types.Timeout:
		s.qcLeft(n, m.HighQC, "timeout's high QC")
	}
}

func (s *simulation) qcLeft(n *node, qc *types.QC, what string) {
	if qc != nil && qc.Round > 0 && qc.Signers.Has(n.index) {
		s.voteLeft(n, qc.Epoch, qc.Round, qc.BlockID, what)
	}
}

func (s *simulation) voteLeft(n *node, epoch, round uint64, block types.Hash, what string) {
	k := voteKey{index: n.index, epoch: epoch, round: round}
	prev, ok := s.votes[k]
	if !ok {
		s.votes[k] = block
		return
	}
	if prev != block {
		s.fail("SAFETY: honest validator %d (node %d) let out votes for %s and %s in round %d (the second in a %s)",
			n.index, n.id, prev.Short(), block.Short(), round, what)
	}
}
