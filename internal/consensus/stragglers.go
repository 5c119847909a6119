package consensus

import "github.com/lazchain/lazchain/internal/types"

// Late votes. A QC needs only a quorum, and the next leader forms it from
// the first votes that make one, so a validator whose votes always arrive
// after them (the farthest one on a WAN) would never be in a QC. The chain
// would take it for down: the leader draw would weigh it down (see
// reputation) and the epoch's end would jail it for downtime, though it
// voted in every round. So the leader that formed a QC keeps taking votes
// for the block until it proposes, and its proposal carries the QC with
// them; and it is worth waiting for a validator whose vote is missing
// when the last StragglerAfter committed blocks show no sign of it (no QC
// it signed, no block it proposed). How long to wait is the driver's
// choice (Stragglers says for whom): an instant on one machine, a WAN
// round trip across the world, never more than a small share of a
// round's timeout.
//
// A validator seen that recently is not waited for, so on a healthy
// network, where every validator is in most QCs, leaders almost never
// wait; a far one is waited for about every StragglerAfter blocks, often
// enough to keep it in the leader draw (repWindow blocks) and well above
// the downtime threshold.

// StragglerAfter is how many committed blocks without a sign of a
// validator make its missing vote worth waiting for.
const StragglerAfter = 5

// lateVotes are the votes for the block of a QC this core formed and
// will build on, including those that came after the quorum.
type lateVotes struct {
	qc   *types.QC
	rv   *roundVotes
	bv   *blockVotes
	more []uint32 // voters taken after the QC formed
}

// keepLate starts taking late votes for the QC just formed, when this core
// leads the next round. The votes in the QC count as checked: their
// aggregate was.
func (c *Core) keepLate(qc *types.QC, rv *roundVotes, bv *blockVotes) {
	c.late = nil
	if !c.isValidator() || c.Leader(qc.Round+1) != c.cfg.Self {
		return
	}
	for voter := range bv.sigs {
		bv.verified[voter] = true
	}
	c.late = &lateVotes{qc: qc, rv: rv, bv: bv}
}

// takeLate records a vote that came after its round's QC formed, if it is
// a straggler's (see Stragglers) that the proposal still being prepared can
// carry. Others' late votes are left out: a QC other than the one the
// leader announced costs every follower a pairing check. Its signature is
// checked with the others' when the proposal is built (withLate), or at
// once if its voter sent a bad late vote before in this epoch.
func (c *Core) takeLate(rv *roundVotes, voter uint32, v *types.Vote) bool {
	l := c.late
	if l == nil || l.qc.Round != v.Round || l.qc.BlockID != v.BlockID || c.proposed > v.Round || !c.straggler(int(voter), l) {
		return false // only a straggler's vote is worth a QC that differs from the announced one
	}
	if _, ok := l.bv.sigs[voter]; ok {
		return true
	}
	if c.lateSuspects[voter] {
		msg := types.VoteSigningBytes(c.set.ChainID, c.set.Epoch, v.Round, v.BlockID)
		if c.set.VerifySig(int(voter), msg, v.Sig) != nil {
			rv.failed[voter]++
			c.drop(DropBadSignature)
			return true
		}
	}
	rv.voted[voter] = v.BlockID
	l.bv.sigs[voter] = v.Sig
	l.bv.verified[voter] = c.lateSuspects[voter]
	l.bv.stake += c.set.StakeOf(int(voter))
	l.more = append(l.more, voter)
	return true
}

// withLate returns qc with the late votes added, or qc itself when there
// are none. The aggregate is checked with one pairing; if it fails, each
// late vote is checked alone and the bad ones are left out (and their
// voters' late votes checked alone from then on), so a bad vote costs its
// sender its place and nobody else theirs.
func (c *Core) withLate(qc *types.QC) *types.QC {
	l := c.late
	c.late = nil
	if l == nil || len(l.more) == 0 || l.qc != qc {
		return qc
	}
	msg := types.VoteSigningBytes(c.set.ChainID, c.set.Epoch, qc.Round, qc.BlockID)
	ext := c.aggregateVotes(qc.Round, qc.BlockID, l.bv)
	if ext == nil || c.set.VerifyAggregate(ext.Signers, msg, ext.Sig) != nil {
		c.weedVotes(msg, l.rv, l.bv)
		for _, voter := range l.more {
			if _, ok := l.bv.sigs[voter]; !ok {
				c.lateSuspects[voter] = true
			}
		}
		// Every vote left was checked on its own or in the QC.
		if ext = c.aggregateVotes(qc.Round, qc.BlockID, l.bv); ext == nil || ext.Signers.Count() <= qc.Signers.Count() {
			return qc
		}
	}
	c.verified[qc.BlockID] = ext
	return ext
}

// Stragglers returns the validators worth waiting for before the proposal
// for round is built: stragglers that have not voted in the round of the
// QC it builds on. It is nil when this core will not carry late votes into
// a proposal for round (it does not lead round on a QC it formed, or has
// proposed), and empty, not nil, when it would but no one is missing.
func (c *Core) Stragglers(round uint64) []int {
	l := c.late
	if l == nil || l.qc.Round+1 != round || c.proposed >= round {
		return nil
	}
	out := []int{}
	for i := 0; i < c.set.Len(); i++ {
		_, voted := l.rv.voted[uint32(i)]
		if !voted && l.rv.failed[uint32(i)] < maxFailedVotes && c.straggler(i, l) {
			out = append(out, i)
		}
	}
	return out
}

// straggler reports whether validator i is one: no sign of it in the last
// StragglerAfter committed blocks, nor in the blocks above them up to the
// one l's QC certifies (the commit trails those by two blocks, and
// without them the next leader would wait again for a vote the last one
// already carried). Only the first part is the same on every node; the
// second is this leader's own view, which is all a wait needs.
func (c *Core) straggler(i int, l *lateVotes) bool {
	committed := c.tree.committed.Height
	if !c.rep.unseen(i, committed) {
		return false
	}
	for b := c.tree.get(l.qc.BlockID); b != nil && b.Height > committed; b = c.tree.get(b.Parent) {
		if int(b.Proposer) == i || b.QC != nil && b.QC.Signers.Has(i) {
			return false
		}
	}
	return true
}
