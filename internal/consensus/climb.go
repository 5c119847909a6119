package consensus

import (
	"slices"

	"github.com/lazchain/lazchain/internal/types"
)

// climbState is the outstanding request for committed blocks upward from
// this core's chain. A core far behind climbs instead of fetching down
// from the tip: every answer hash-links to a block it holds, so nothing
// is parked and no range is fetched twice, and catching up costs one
// request per FetchBatch blocks however long the gap. Fetching down parks
// what it gets until the gap closes, and once the parked-block bounds are
// full it must fetch the same range again: a gap of many thousands of
// blocks cost a number of requests that grew with its square.
type climbState struct {
	next   uint64 // height of the oldest block asked for
	target uint64 // the highest height known to be certified
	peer   int
	// round is the first round the core was in after the request left (0
	// until then): a core far behind jumps to the current round in the
	// same step that starts a climb, and that jump must not count as
	// rounds without an answer.
	round uint64
	tries int
	// held is the newest block of the last answer, kept in memory: no QC
	// in that answer names it, so its contents are unchecked until the
	// next answer's oldest block certifies it (a faulty answerer could
	// otherwise leave one made-up block on disk per answer).
	held *types.Block
}

// farBelow reports whether a block at height h is too far above the
// committed one for one request down from it to reach this core's chain.
func (c *Core) farBelow(h uint64) bool {
	return h > c.tree.committed.Height+uint64(c.cfg.FetchBatch)
}

// fetchBelow fetches block id, at height h, that a certified block or a
// proposal names: down from it when it is near, by climbing when it is
// far.
func (c *Core) fetchBelow(id types.Hash, from int, h uint64) {
	if c.farBelow(h) {
		c.startClimb(from, h)
		return
	}
	c.fetch(id, from, c.aboveHeight(h))
}

// startClimb asks for the committed blocks above this core's, unless a
// climb is under way, which now aims at target too.
func (c *Core) startClimb(from int, target uint64) {
	if c.climb != nil {
		c.climb.target = max(c.climb.target, target)
		return
	}
	peer := from
	if peer < 0 || peer == c.cfg.Self {
		peer = c.pickPeer(0)
	}
	c.climb = &climbState{next: c.tree.committed.Height + 1, target: target, peer: peer}
	c.sendClimb()
}

func (c *Core) sendClimb() {
	if c.climb.peer < 0 {
		c.climb = nil
		return
	}
	c.climb.round = 0
	c.stats.Fetches++
	c.send(c.climb.peer, &types.ChainRequest{From: c.climb.next, Count: c.cfg.FetchBatch})
}

// climbRetryRounds is how long a climb request may stay unanswered. An
// answer is up to the message limit, read from a peer's store: a retry
// after fetchRetryRounds, tens of milliseconds under load, would mostly
// double the bytes a catching-up node receives.
const climbRetryRounds = 8

// retryClimb sends an unanswered climb request to the next peer, and gives
// up after maxFetchTries: the next far proposal starts another.
func (c *Core) retryClimb(force bool) {
	if c.climb == nil {
		return
	}
	if !force && c.climb.round == 0 {
		c.climb.round = c.round
		return
	}
	if !force && c.round < c.climb.round+climbRetryRounds {
		return
	}
	if c.climb.tries++; c.climb.tries > maxFetchTries {
		c.climb = nil
		return
	}
	c.climb.peer = c.nextPeer(c.climb.peer)
	c.sendClimb()
}

// climbAnswer reports whether a block response answers the climb: it
// comes from the peer last asked (or from outside the set, -1, which the
// driver passes on only from peers it asked when no validator could be
// reached), and its oldest block is at the height asked for. Answers from
// other validators are not taken, so a faulty one cannot race every
// honest answer with one of its own.
func (c *Core) climbAnswer(from int, s *types.BlockResponse) bool {
	return c.climb != nil && (from == c.climb.peer || from < 0) && s.Blocks[len(s.Blocks)-1].Height == c.climb.next
}

// onClimbed inserts an answer to the climb, oldest first, and asks for the
// next stretch while the target is still far. A block goes in only once a
// verified QC names it, which for all but the newest is its child's: a
// faulty answerer cannot leave blocks it made up on disk.
func (c *Core) onClimbed(s *types.BlockResponse) {
	chain := slices.Clone(s.Blocks)
	slices.Reverse(chain)
	if h := c.climb.held; h != nil && chain[0].Parent == h.ID() {
		chain = slices.Insert(chain, 0, h)
	}
	c.climb.held = nil
	var top, held *types.Block
	for i, b := range chain {
		if !c.tree.has(b.ID()) {
			if b.Epoch != c.set.Epoch {
				// The epoch ended below: its last block commits by the
				// epoch's own QCs, and the next epoch's core climbs on.
				break
			}
			if !c.named(b, chain[i+1:]) {
				if i == len(chain)-1 && c.tree.has(b.Parent) {
					held = b // the next answer's oldest block may name it
				}
				break
			}
			c.insertFetched(b)
			if !c.tree.has(b.ID()) {
				break // a bad QC or a block off this core's chain
			}
			// A core far behind holds a high QC from the tip, so the
			// older QCs climbed blocks carry never become its high QC;
			// they commit what they prove here, and the tree is pruned
			// as the climb goes instead of holding the whole gap.
			c.tryCommit(b.QC)
		}
		top = b
	}
	if c.climb == nil {
		return // given up while the answer was inserted (rounds passed)
	}
	if held != nil {
		c.climb.held, top = held, held
	}
	switch {
	case top == nil && s.Blocks[len(s.Blocks)-1].Epoch == c.set.Epoch:
		// Nothing linked to this core's chain: a faulty peer, or one that
		// answered from a fork this core does not hold. Climb from the
		// committed block, elsewhere.
		c.climb.next = c.tree.committed.Height + 1
		c.retryClimb(true)
	case top == nil || top.Height < chain[len(chain)-1].Height || !c.farBelow(c.climb.target):
		// The epoch ended, or the rest of the gap is near enough for the
		// fetch down from the tip that the next proposal starts (which
		// fetches a held block by the id a QC names).
		c.climb = nil
	default:
		if len(s.Blocks) < int(c.cfg.FetchBatch) {
			// A short answer (an honest peer sends one only at its tip or
			// at the byte budget) goes on elsewhere: a faulty peer that
			// answered each request with one block, just inside the retry
			// window, kept the climb to itself and fell further behind
			// the chain than the climb advanced.
			c.climb.peer = c.nextPeer(c.climb.peer)
		}
		c.climb.next, c.climb.tries = top.Height+1, 0
		c.sendClimb()
	}
}

// named reports whether a QC this core verified names b: one it holds, or
// the QC of the block above it in the answer, checked here.
func (c *Core) named(b *types.Block, above []*types.Block) bool {
	if c.verified[b.ID()] != nil {
		return true
	}
	if len(above) == 0 {
		return false
	}
	child := above[0]
	return child.Parent == b.ID() && child.QC != nil && child.QC.BlockID == b.ID() && c.verifyQC(child.QC)
}

// onChainRequest answers a climb from the blocks this core holds on its
// committed chain; a node's driver serves peers from its store instead,
// which holds every committed block.
func (c *Core) onChainRequest(from int, q *types.ChainRequest) {
	if from < 0 {
		c.drop(DropUnknownSender)
		return
	}
	var up []*types.Block // oldest first
	for b := c.tree.committed; b != nil && b.Height >= q.From; b = c.tree.get(b.Parent) {
		up = append(up, b)
	}
	slices.Reverse(up)
	if len(up) == 0 || up[0].Height != q.From {
		return // not held here, or nothing above q.From
	}
	blocks := ChainAnswer(up, q.Count)
	c.send(from, &types.BlockResponse{Blocks: blocks})
}

// ChainAnswer is the answer to a ChainRequest from up, the committed
// blocks from its From height upward (oldest first): at most count, and,
// as for every block answer, within a byte budget under the message limit
// (the first block always). It returns them newest first.
func ChainAnswer(up []*types.Block, count uint32) []*types.Block {
	n := min(len(up), int(min(count, types.MaxFetchBlocks)))
	budget := types.MaxMessageBytes - types.MaxBlockBytes/4
	var out []*types.Block
	for _, b := range up[:n] {
		size := b.EncodedSize()
		if len(out) > 0 && size > budget {
			break
		}
		budget -= size
		out = append(out, b)
	}
	slices.Reverse(out)
	return out
}
