package consensus

import (
	"bytes"

	"github.com/lazchain/lazchain/internal/types"
)

// maybePropose asks the driver for a payload when this core leads the
// current round and knows the block its high QC certifies.
func (c *Core) maybePropose() {
	if !c.isValidator() || c.Leader(c.round) != c.cfg.Self || c.proposed >= c.round || c.requested >= c.round {
		return
	}
	parent := c.tree.get(c.highQC.BlockID)
	if parent == nil {
		c.fetch(c.highQC.BlockID, -1, c.aboveRound(c.highQC.Round))
		return
	}
	if c.highQC.Round+1 != c.round && (c.lastTC == nil || c.lastTC.Round+1 != c.round) {
		return // entered this round without a certificate to show for it
	}
	c.requested, c.requestedParent = c.round, parent.ID()
	c.ready.Payload = &PayloadRequest{Round: c.round, Height: parent.Height + 1, Parent: parent.ID()}
}

// onPayload builds, signs and broadcasts the proposal, then handles it as
// any validator would (which includes voting for it).
func (c *Core) onPayload(round uint64, txs []*types.Tx) {
	if round != c.round || c.proposed >= round || c.requested != round {
		return
	}
	if c.highQC.BlockID != c.requestedParent {
		// A higher QC arrived while the driver built the payload (in a
		// timeout, an epoch proof, or from votes): the proposal extends
		// its block, and the payload was chosen (pending nonces) for
		// another parent. Ask again, once that block is here.
		c.requested = 0
		c.maybePropose()
		return
	}
	parent := c.tree.get(c.highQC.BlockID)
	if parent == nil {
		return
	}
	if c.cfg.beyondEnd(parent.Height + 1) {
		txs = nil
	}
	b := types.NewBlockWithState(c.set.Epoch, round, parent.Height+1, c.withLate(c.highQC), uint32(c.cfg.Self), c.stateFor(parent), txs)
	sig, err := c.signer.SignProposal(b)
	if err != nil {
		return
	}
	c.proposed = round
	p := &types.Proposal{Block: b, Sig: sig}
	if c.highQC.Round+1 != round {
		p.TC = c.lastTC
	}
	c.stats.Proposals++
	c.send(Broadcast, p)
	c.acceptProposal(c.cfg.Self, p)
}

// onProposal checks a proposal from the network; only a valid one reaches
// acceptProposal.
func (c *Core) onProposal(from int, p *types.Proposal) {
	b := p.Block
	switch {
	case b.Epoch != c.set.Epoch:
		c.drop(DropWrongEpoch)
		return
	case b.QC == nil || (len(b.Txs) > 0 && c.cfg.beyondEnd(b.Height)):
		c.drop(DropInvalid)
		return
	case int(b.Proposer) != c.Leader(b.Round):
		c.drop(DropNotLeader)
		c.learnQC(from, b)
		return
	case c.tree.has(b.ID()):
		c.drop(DropDuplicate)
		return
	}
	direct := c.cfg.AuthenticatedSenders && from == int(b.Proposer)
	if !direct {
		// A relayed proposal costs a pairing check; a relayer passing on
		// forged ones is charged, as for a forged certificate.
		if c.struckOut(from) {
			return
		}
		msg := types.ProposalSigningBytes(c.set.ChainID, b.Epoch, b.Round, b.ID())
		if c.set.VerifySig(int(b.Proposer), msg, p.Sig) != nil {
			c.drop(DropBadSignature)
			c.strike(from)
			return
		}
	}
	if !c.certsOK(from, b.QC, p.TC) {
		return
	}
	if !c.noteProposal(p) {
		// Reported; not stored: every block accepted is written to disk,
		// and a leader signing block after block for its round would
		// otherwise fill every node's. Its QC is still learnt.
		c.drop(DropEquivocation)
		c.processQC(b.QC)
		return
	}
	// A missing parent is fetched from the sender, which has it; processQC
	// would otherwise ask a peer picked by rotation first.
	if !c.tree.has(b.Parent) && b.Height > c.tree.committed.Height && b.QC.Round > c.tree.committed.Round {
		c.fetchBelow(b.Parent, from, b.Height-1)
	}
	c.processQC(b.QC)
	if p.TC != nil {
		c.processTC(p.TC)
	}
	// Certificates processed, a proposal's round is at most one past them
	// (so at most the core's round), or it is stale: either way its block
	// is needed only if a QC names it, and then it is fetched. Storing it
	// would let a leader write a block to every node's disk for each of
	// its past or far-future rounds. A stale one is kept in memory for a
	// while instead, for the fetch (see stash).
	_, wanted := c.fetching[b.ID()]
	_, awaited := c.pending[b.ID()]
	switch {
	case b.Round+1 < c.round && !wanted && !awaited: // a block being fetched is taken as it comes
		c.drop(DropStaleRound)
		c.stashStale(from, b)
		return
	case b.Round > c.round+maxFutureRounds:
		c.drop(DropFutureRound)
		return
	}
	c.acceptProposal(from, p)
}

// learnQC takes the QC of a proposal this core does not take as its
// round's: a core behind on commits may weigh leaders unlike the others
// (see reputation) until it catches up, and the QC, which a quorum
// signed, is how it does. Only the QC is used, so the proposer's
// signature is not checked, and an identical QC costs one check however
// often it comes.
func (c *Core) learnQC(from int, b *types.Block) {
	if b.QC == nil || b.Epoch != c.set.Epoch || b.QC.Round <= c.highQC.Round || !c.certsOK(from, b.QC, nil) {
		return
	}
	if !c.tree.has(b.Parent) && b.Height > c.tree.committed.Height && b.QC.Round > c.tree.committed.Round {
		// The height is the sender's word, unsigned here: a parent lies at
		// most a height a round above the committed block.
		c.fetchBelow(b.Parent, from, min(b.Height-1, c.tree.committed.Height+c.aboveRound(b.QC.Round)))
	}
	c.processQC(b.QC)
}

// seenProposal is the first proposal of a round, kept to spot a second.
type seenProposal struct {
	id    types.Hash
	sig   []byte
	other types.Hash // the first other block reported for the round
}

// noteProposal remembers the round's first proposal and reports a second
// one for another block, signed by the same leader, as an equivocation;
// it returns false for such a second one.
func (c *Core) noteProposal(p *types.Proposal) bool {
	b := p.Block
	// The round this core will be in once the proposal's certificates are
	// processed: a lagging core must still record a proposal they justify,
	// or a second one of its round would pass as the first.
	cur := max(c.round, b.QC.Round+1)
	if p.TC != nil {
		cur = max(cur, p.TC.Round+1)
	}
	if b.Round+1 < cur || b.Round > cur+maxFutureRounds {
		return true // a leader must not fill the table with rounds nobody reaches
	}
	first, ok := c.proposals[b.Round]
	if !ok {
		if len(c.proposals) >= maxFutureRounds {
			for r := range c.proposals {
				if r+1 < c.round {
					delete(c.proposals, r)
				}
			}
		}
		if len(c.proposals) < 2*maxFutureRounds {
			c.proposals[b.Round] = seenProposal{id: b.ID(), sig: p.Sig}
		}
		return true
	}
	if first.id == b.ID() {
		return true
	}
	if !first.other.IsZero() {
		return false // reported already: one report convicts the leader
	}
	first.other = b.ID()
	c.proposals[b.Round] = first
	c.ready.Equivocations = append(c.ready.Equivocations, Equivocation{Kind: EquivocatedProposal, Epoch: b.Epoch, Round: b.Round,
		Signer: b.Proposer, BlockA: first.id, BlockB: b.ID(), SigA: first.sig, SigB: p.Sig})
	return false
}

// acceptProposal stores a verified proposal's block and votes for it if it
// is for the current round. A block whose parent is unknown waits while
// the parent is fetched from the sender.
func (c *Core) acceptProposal(from int, p *types.Proposal) {
	b := p.Block
	parent := c.tree.get(b.Parent)
	if parent == nil {
		// A parent certified at or below the committed round is the
		// committed block (which the tree holds) or off its chain: such a
		// block can never commit, and parked it would wait forever for a
		// parent nobody fetches (tryCommit treats its QC as dead).
		if b.Height <= c.tree.committed.Height || b.QC == nil || b.QC.Round <= c.tree.committed.Round {
			c.drop(DropStaleRound)
			return
		}
		c.park(b.Parent, &pendingProposal{from: from, p: p})
		c.fetchBelow(b.Parent, from, b.Height-1)
		return
	}
	if b.Height != parent.Height+1 || b.Round <= parent.Round {
		c.drop(DropInvalid)
		return
	}
	if c.tree.add(b) {
		c.ready.Blocks = append(c.ready.Blocks, b)
	}
	c.afterInsert(b)
	if b.Round != c.round {
		c.drop(DropStaleRound)
		return
	}
	c.vote(b, parent, p.TC)
}

func (c *Core) vote(b, parent *types.Block, tc *types.TC) {
	if !c.isValidator() || !c.stateAgrees(b, parent, tc) {
		return
	}
	var parentQCRound uint64
	if parent.QC != nil {
		parentQCRound = parent.QC.Round
	}
	v, err := c.signer.Vote(b, parentQCRound, tc)
	if err != nil {
		return
	}
	c.stats.Votes++
	next := c.Leader(b.Round + 1)
	switch {
	case c.cfg.BroadcastVotes:
		c.send(Broadcast, v)
		c.addVote(c.cfg.Self, v)
	case next == c.cfg.Self:
		c.addVote(c.cfg.Self, v)
	default:
		c.send(next, v)
		// Kept here too: when the collector is unreachable the driver
		// sends the vote to everyone, and so do the other voters, so this
		// validator may form the round's QC with its own vote among them.
		c.addVote(c.cfg.Self, v)
	}
}

// afterInsert resumes work that waited for block b: proposals built on it,
// a commit that needed it, a proposal of our own on top of it.
func (c *Core) afterInsert(b *types.Block) {
	delete(c.fetching, b.ID())
	if w := c.stash[b.ID()]; w != nil { // it came another way
		c.dropStashed(w)
	}
	// b's QC, verified before b was stored, certifies its parent and may
	// commit the block below. A core behind commits this way as its
	// fetches link up: its high QC is the tip's, and a tip that moves
	// faster than a fetch's round trip never has its block here.
	if b.QC != nil {
		c.tryCommit(b.QC)
	}
	waiting := c.unpark(b.ID())
	for _, w := range waiting {
		if w.fetched != nil {
			c.insertFetched(w.fetched)
		} else {
			c.acceptProposal(w.from, w.p)
		}
	}
	if b.ID() == c.highQC.BlockID {
		c.tryCommit(c.highQC)
		c.maybePropose()
	} else if c.highQC.Round > 0 {
		c.tryCommit(c.highQC)
	}
}

// verifyQC checks a QC once. Only an identical copy of the QC already
// verified for the block skips the pairing check: a QC for the same block
// and round with other signers or another signature is a different claim,
// and a leader could otherwise embed a forged one in its proposal, which
// every validator that formed the real QC from broadcast votes would take.
func (c *Core) verifyQC(qc *types.QC) bool {
	ok, _ := c.checkQC(qc)
	return ok
}

// checkQC is verifyQC that also tells a forged certificate (one whose
// check failed) from one of another epoch.
func (c *Core) checkQC(qc *types.QC) (ok, forged bool) {
	if qc.Epoch != c.set.Epoch {
		c.drop(DropWrongEpoch)
		return false, false
	}
	if sameQC(c.verified[qc.BlockID], qc) {
		return true, false
	}
	if qc.Verify(c.set, c.genesis) != nil {
		c.drop(DropBadSignature)
		return false, true
	}
	c.verified[qc.BlockID] = qc
	return true, false
}

// sameQC reports whether a and b are the same certificate, bit for bit.
func sameQC(a, b *types.QC) bool {
	return a != nil && a.Epoch == b.Epoch && a.Round == b.Round && a.BlockID == b.BlockID &&
		bytes.Equal(a.Signers, b.Signers) && bytes.Equal(a.Sig, b.Sig)
}

func (c *Core) verifyTC(tc *types.TC) bool {
	ok, _ := c.checkTC(tc)
	return ok
}

func (c *Core) checkTC(tc *types.TC) (ok, forged bool) {
	if tc.Epoch != c.set.Epoch {
		c.drop(DropWrongEpoch)
		return false, false
	}
	if tc.Round < c.round-min(c.round, 1) {
		return true, false // too old to move us; it is not worth a pairing check
	}
	if tc.Verify(c.set) != nil {
		c.drop(DropBadSignature)
		return false, true
	}
	return true, false
}
