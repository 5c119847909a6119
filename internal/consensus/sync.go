package consensus

import (
	"bytes"
	"slices"

	"github.com/lazchain/lazchain/internal/types"
)

// fetchState is one outstanding block request.
type fetchState struct {
	peer  int    // validator last asked
	round uint64 // round it was last sent in
	count uint32 // blocks asked for: the id and its ancestors
	tries int
}

// Fetches that stay unanswered this many rounds are retried elsewhere, and
// abandoned after maxFetchTries: a block nobody serves (an abandoned fork)
// must not be asked for forever. A block still needed is asked for again
// by the next QC or proposal that names it.
const (
	fetchRetryRounds = 2
	maxFetchTries    = 8
)

// fetch asks a peer for block id and the ancestors that may lie between it
// and the committed block: the peer that referred to it if known, else one
// picked by rotation. above bounds how far id can be above the committed
// block (a height or round difference). Asking for more would be answered
// with megabytes of blocks this core already holds, which under load is
// most of what a lagging proposal's fetch sends. A count that falls short
// is extended by onBlockResponse, which asks for the rest.
func (c *Core) fetch(id types.Hash, from int, above uint64) {
	if c.tree.has(id) {
		return
	}
	if _, ok := c.fetching[id]; ok {
		return
	}
	if w := c.stash[id]; w != nil {
		c.unstash(w)
		return
	}
	if c.climb != nil && above > uint64(c.cfg.FetchBatch) {
		return // the climb gets there without parking what lies between
	}
	peer := from
	if peer < 0 || peer == c.cfg.Self {
		peer = c.pickPeer(0)
	}
	count := uint32(min(max(above, 1), uint64(c.cfg.FetchBatch)))
	c.fetching[id] = &fetchState{peer: peer, round: c.round, count: count}
	c.sendFetch(id, peer, count)
}

// aboveHeight bounds how many blocks lie from the committed one up to a
// block at height h; aboveRound does so for a block certified at round r,
// as heights grow by at most one a round.
func (c *Core) aboveHeight(h uint64) uint64 {
	return h - min(h, c.tree.committed.Height)
}

func (c *Core) aboveRound(r uint64) uint64 {
	return r - min(r, c.tree.committed.Round)
}

func (c *Core) sendFetch(id types.Hash, peer int, count uint32) {
	if peer < 0 {
		return
	}
	c.stats.Fetches++
	c.send(peer, &types.BlockRequest{ID: id, Count: count})
}

// pickPeer chooses a validator other than self, rotating with k and the
// round so that retries reach different peers without randomness.
func (c *Core) pickPeer(k int) int {
	return c.otherThanSelf(int((c.round + uint64(k)) % uint64(max(c.set.Len(), 1))))
}

// nextPeer is the validator after p, other than self: retries walk the
// whole set however the round stands (a node stuck at the end of an
// epoch has a fixed round, and must still reach every peer).
func (c *Core) nextPeer(p int) int {
	return c.otherThanSelf((p + 1) % max(c.set.Len(), 1))
}

// otherThanSelf is p, or the one after it if p is self; -1 when the set
// has no other validator (a full node, Self -1, can ask a lone one).
func (c *Core) otherThanSelf(p int) int {
	n := c.set.Len()
	if n == 0 || (n == 1 && c.cfg.Self == 0) {
		return -1
	}
	if p == c.cfg.Self {
		p = (p + 1) % n
	}
	return p
}

// retryFetches re-sends requests that went unanswered (all of them when
// force is set, as on a timeout) to another peer: the first may have been
// lost, or its peer may be down or lying.
func (c *Core) retryFetches(force bool) {
	c.retryClimb(force)
	if len(c.fetching) == 0 {
		return
	}
	ids := make([]types.Hash, 0, len(c.fetching))
	for id := range c.fetching {
		ids = append(ids, id)
	}
	// Map order is random; the simulator needs the same sends every run.
	slices.SortFunc(ids, func(a, b types.Hash) int { return bytes.Compare(a[:], b[:]) })
	for _, id := range ids {
		f := c.fetching[id]
		if !force && c.round < f.round+fetchRetryRounds {
			continue
		}
		if f.tries++; f.tries > maxFetchTries {
			delete(c.fetching, id)
			continue
		}
		f.peer, f.round = c.nextPeer(f.peer), c.round
		c.sendFetch(id, f.peer, f.count)
	}
}

// onBlockRequest answers with the block and its ancestors, newest first.
func (c *Core) onBlockRequest(from int, q *types.BlockRequest) {
	if from < 0 {
		// The answer could only be addressed as Broadcast, which would send
		// up to MaxFetchBlocks blocks to every validator and none to the
		// asker; the driver serves peers outside the set from its store.
		c.drop(DropUnknownSender)
		return
	}
	// Full blocks are up to MaxBlockBytes: the answer stops at a byte
	// budget under the message limit, so the asker always gets a message
	// it can read, with at least the block it asked for.
	n := int(min(q.Count, types.MaxFetchBlocks))
	blocks := c.tree.ancestors(q.ID, n, types.MaxMessageBytes-types.MaxBlockBytes/4)
	if len(blocks) == 0 {
		return
	}
	c.send(from, &types.BlockResponse{Blocks: blocks})
}

// onBlockResponse accepts blocks that hash-chain down from a requested id.
// The id was trusted because a verified QC or proposal named it, and each
// block's id commits to its parent's id, so the chain is authentic without
// a signature check per block.
func (c *Core) onBlockResponse(from int, s *types.BlockResponse) {
	if len(s.Blocks) == 0 {
		c.drop(DropInvalid)
		return
	}
	_, fetched := c.fetching[s.Blocks[0].ID()]
	climbed := !fetched && c.climbAnswer(from, s)
	if !fetched && !climbed {
		c.drop(DropUnsolicited)
		return
	}
	if !linked(s.Blocks) {
		// An honest answer is one hash-linked chain. The blocks kept from
		// a message hold all of its bytes, so keeping a prefix would let
		// a tail of junk ride along, uncounted by the parked-bytes bound;
		// another validator is asked instead.
		c.drop(DropInvalid)
		return
	}
	if climbed {
		c.onClimbed(s)
		return
	}
	chain := s.Blocks
	for i := 1; i < len(chain); i++ {
		if c.tree.has(chain[i].ID()) {
			chain = chain[:i] // down to what we know
			break
		}
	}
	oldest := chain[len(chain)-1]
	if !c.tree.has(oldest.Parent) {
		if oldest.Height <= c.tree.committed.Height+1 {
			c.drop(DropInvalid) // it forks below what we committed
			return
		}
		for _, b := range chain {
			c.park(b.Parent, &pendingProposal{from: from, fetched: b})
		}
		delete(c.fetching, chain[0].ID())
		c.fetchBelow(oldest.Parent, from, oldest.Height-1)
		return
	}
	for i := len(chain) - 1; i >= 0; i-- { // oldest first: each finds its parent
		c.insertFetched(chain[i])
	}
}

// linked reports whether blocks, newest first, hash-link from first to
// last.
func linked(blocks []*types.Block) bool {
	for i := 1; i < len(blocks); i++ {
		if blocks[i].ID() != blocks[i-1].Parent {
			return false
		}
	}
	return true
}

// insertFetched stores an authentic fetched block whose parent is known.
func (c *Core) insertFetched(b *types.Block) {
	if b.Epoch != c.set.Epoch || b.QC == nil || c.tree.has(b.ID()) {
		return
	}
	parent := c.tree.get(b.Parent)
	if parent == nil || b.Height != parent.Height+1 || b.Round <= parent.Round || (len(b.Txs) > 0 && c.cfg.beyondEnd(b.Height)) {
		c.drop(DropInvalid)
		return
	}
	// The hash chain already makes the block authentic; checking its QC
	// as well means a syncing node never adopts a certificate it has not
	// verified itself (one pairing check per block).
	if !c.verifyQC(b.QC) {
		return
	}
	c.tree.add(b)
	c.ready.Blocks = append(c.ready.Blocks, b)
	if b.QC.Round > c.highQC.Round {
		c.processQC(b.QC)
	}
	c.afterInsert(b)
}

// onEpochProof takes a QC of this epoch from anyone: once verified it is as
// good as one carried by a proposal, and it lets a node that missed the
// end of the epoch commit its last block.
func (c *Core) onEpochProof(p *types.EpochProof) {
	if p.QC == nil || p.QC.IsGenesis() || !c.verifyQC(p.QC) {
		return
	}
	c.processQC(p.QC)
}

// maxPending bounds the blocks parked while their parents are fetched, so a
// peer cannot make this core hold unbounded memory.
const maxPending = 4096

func (c *Core) park(parent types.Hash, w *pendingProposal) {
	w.size = w.block().EncodedSize()
	if len(c.pending) >= maxPending || len(c.pending[parent]) >= maxPendingPerParent ||
		c.parkedBytes+w.size > c.cfg.MaxParkedBytes {
		c.drop(DropUnknownParent)
		return
	}
	id := w.block().ID()
	for _, x := range c.pending[parent] {
		if x.block().ID() == id {
			c.drop(DropDuplicate) // a replay must not park another copy
			return
		}
	}
	c.pending[parent] = append(c.pending[parent], w)
	c.parkedBytes += w.size
}

// unpark takes the blocks parked on parent out of pending.
func (c *Core) unpark(parent types.Hash) []*pendingProposal {
	ws := c.pending[parent]
	delete(c.pending, parent)
	for _, w := range ws {
		c.parkedBytes -= w.size
	}
	return ws
}

// ParkedBytes returns the bytes of the blocks parked (from above).
func (c *Core) ParkedBytes() int { return c.parkedBytes }

// maxPendingPerParent bounds the blocks parked on one missing parent:
// honest ones are a few forks at most.
const maxPendingPerParent = 16

// maxStashed bounds the stale proposals' blocks kept in memory: about
// what one fetch brings.
const maxStashed = 2 * types.MaxFetchBlocks

// stashStale keeps in memory the block of a verified proposal that came
// too late for its round. A core behind a leader that runs rounds faster
// than messages cross the network (one that holds a quorum alone) gets
// most proposals after a later QC moved it past their rounds, and, before
// any QC names them, it would drop them all and fetch each block later,
// one round trip behind a tip that has moved on again. Kept here, the
// block is taken as fetched once a QC names it. It is never stored unless
// a QC names it. The stash holds one block per round (a leader of a past
// round can sign any number of blocks for it, and stale rounds are not
// checked for a second proposal), at most maxStashed of them and a
// quarter of the parked blocks' byte bound, so it never crowds out blocks
// a proposal waits for; when full, the oldest round makes room for a
// newer one.
func (c *Core) stashStale(from int, b *types.Block) {
	switch {
	case b.Height <= c.tree.committed.Height || b.QC.Round < c.tree.committed.Round:
		return // it cannot commit
	case b.Height > c.tree.committed.Height+c.aboveRound(b.Round):
		return // heights grow by at most one a round
	}
	for _, w := range c.stash {
		if w.fetched.Round == b.Round {
			return // this round's block is here already
		}
	}
	w := &pendingProposal{from: from, fetched: b, size: b.EncodedSize()}
	if w.size > c.cfg.MaxParkedBytes/4 {
		return
	}
	for len(c.stash) >= maxStashed || c.stashBytes+w.size > c.cfg.MaxParkedBytes/4 {
		oldest := c.oldestStashed()
		if oldest.fetched.Round > b.Round {
			return
		}
		c.dropStashed(oldest)
	}
	c.stash[b.ID()] = w
	c.stashBytes += w.size
}

// oldestStashed returns the stashed block of the lowest round (rounds are
// unique in the stash, so the choice is the same on every node).
func (c *Core) oldestStashed() *pendingProposal {
	var oldest *pendingProposal
	for _, w := range c.stash {
		if oldest == nil || w.fetched.Round < oldest.fetched.Round {
			oldest = w
		}
	}
	return oldest
}

func (c *Core) dropStashed(w *pendingProposal) {
	delete(c.stash, w.fetched.ID())
	c.stashBytes -= w.size
}

// unstash takes a stashed block that a QC or a block named, as if it had
// been fetched from the peer that sent it.
func (c *Core) unstash(w *pendingProposal) {
	b := w.fetched
	c.dropStashed(w)
	if c.tree.has(b.Parent) {
		c.insertFetched(b)
		return
	}
	c.park(b.Parent, &pendingProposal{from: w.from, fetched: b})
	c.fetchBelow(b.Parent, w.from, b.Height-1)
}
