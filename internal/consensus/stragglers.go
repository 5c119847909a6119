package consensus

import "github.com/lazchain/lazchain/internal/types"

// Late votes. A QC needs only a quorum, and the next leader forms it from
// the first votes that make one, so a validator whose votes always arrive
// after a quorum's (the farthest one on a WAN) would never be in a QC. The
// chain would take it for down: the leader draw would weigh it down (see
// reputation) and the epoch's end would jail it for downtime, though it
// voted in every round. So on every StragglerEvery-th height the leader
// that formed the QC keeps taking votes for the block until it proposes,
// and its proposal carries the QC with them. How long it waits for them is
// the driver's choice (Stragglers says whom it would wait for): an instant
// on one machine, a WAN round trip across the world, never longer than a
// small share of a round's timeout.
//
// Only sampled heights wait, so that a slow validator costs the chain at
// most one wait in StragglerEvery blocks; that is often enough to keep it
// in the leader draw (repWindow blocks) and above the downtime threshold.

// StragglerEvery is the spacing of the heights whose QCs take late votes.
const StragglerEvery = 4

// lateVotes are the votes for the block of a QC this core formed and
// will build on, including those that came after the quorum.
type lateVotes struct {
	qc   *types.QC
	bv   *blockVotes
	more int // votes taken after the QC formed
}

// sampled reports whether votes for block id are worth waiting for.
func (c *Core) sampled(id types.Hash) bool {
	b := c.tree.get(id)
	return b != nil && b.Height%StragglerEvery == 0
}

// keepLate starts taking late votes for the QC just formed, when this core
// leads the next round and the block's height is sampled.
func (c *Core) keepLate(qc *types.QC, bv *blockVotes) {
	c.late = nil
	if c.isValidator() && c.Leader(qc.Round+1) == c.cfg.Self && c.sampled(qc.BlockID) {
		c.late = &lateVotes{qc: qc, bv: bv}
	}
}

// takeLate records a vote that came after its round's QC formed, if it is
// one the proposal still being prepared can carry. Its signature is checked
// with the others when the proposal is built (withLate).
func (c *Core) takeLate(voter uint32, v *types.Vote) bool {
	l := c.late
	if l == nil || l.qc.Round != v.Round || l.qc.BlockID != v.BlockID || c.proposed > v.Round {
		return false
	}
	if _, ok := l.bv.sigs[voter]; ok {
		return true
	}
	l.bv.sigs[voter] = v.Sig
	l.bv.verified[voter] = false
	l.bv.stake += c.set.StakeOf(int(voter))
	l.more++
	return true
}

// withLate returns qc with the late votes added, checked with one pairing,
// or qc itself when there are none or their aggregate fails (a bad late
// vote costs its sender's place in the QC, and nothing else).
func (c *Core) withLate(qc *types.QC) *types.QC {
	l := c.late
	c.late = nil
	if l == nil || l.more == 0 || l.qc != qc {
		return qc
	}
	ext := c.aggregateVotes(qc.Round, qc.BlockID, l.bv)
	msg := types.VoteSigningBytes(c.set.ChainID, c.set.Epoch, qc.Round, qc.BlockID)
	if ext == nil || c.set.VerifyAggregate(ext.Signers, msg, ext.Sig) != nil {
		return qc
	}
	c.verified[qc.BlockID] = ext
	return ext
}

// Stragglers returns the validators whose votes the proposal for round
// would carry if they came before it is built: those missing from the QC
// it builds on, when that QC's block is sampled. It is empty otherwise.
func (c *Core) Stragglers(round uint64) []int {
	l := c.late
	if l == nil || l.qc.Round+1 != round || c.proposed >= round {
		return nil
	}
	var out []int
	for i := 0; i < c.set.Len(); i++ {
		if _, ok := l.bv.sigs[uint32(i)]; !ok {
			out = append(out, i)
		}
	}
	return out
}
