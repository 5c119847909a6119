package consensus_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/types"
)

// Scenario 6a: a validator that missed several rounds catches up from the
// first proposal it gets. The proposal's parent is unknown, so it is parked
// and the parent is fetched from the proposal's sender, which has it; the
// response (the parent and its ancestors, newest first) is authentic by
// hash chain down to a known block, and inserting it lets the laggard vote,
// commit, and agree with everyone else.
func TestLaggardFetchesMissedBlocks(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 1)
	const lag = 3
	a, lagging := h.missRounds(lag)

	sender := h.leader(a + 4)
	reqs := h.sent(allOf(from(lag), ofKind(types.KindBlockRequest)))
	parent := h.blockAt(sender, a+3)
	missing := parent.ID()
	// The laggard asks for the blocks between its committed head and the
	// parent, not for a full batch of ancestors it mostly holds (under load
	// such answers ran to megabytes).
	wantCount := uint32(parent.Height - lagging.tip().Height)
	asked := false
	for _, e := range reqs {
		if q := e.msg.(*types.BlockRequest); q.ID == missing && e.to == sender {
			asked = true
			if q.Count != wantCount {
				t.Errorf("laggard asked for %d blocks, want %d (parent at height %d, committed %d)", q.Count, wantCount, parent.Height, lagging.tip().Height)
			}
		}
	}
	if !asked {
		t.Errorf("laggard did not ask the proposal's sender %d for the parent; requests: %v", sender, describeRequests(reqs))
	}
	if lagging.tip().Height >= a {
		t.Fatalf("laggard committed height %d before fetching", lagging.tip().Height)
	}

	h.pumpUntil("everyone at height a+6", h.committedAtLeast(a+6))
	for height, b := range h.nodes[0].committed[:a+7] {
		if got := lagging.committed[height]; got.ID() != b.ID() {
			t.Fatalf("laggard committed %s at height %d, node 0 %s", got.ID().Short(), height, b.ID().Short())
		}
	}
	checkTwoChain(t, h, lagging)
	if lagging.core.Stats().Votes == 0 {
		t.Error("laggard never voted")
	}
}

func describeRequests(es []envelope) string {
	s := ""
	for _, e := range es {
		s += fmt.Sprintf("[to %d id %s] ", e.to, e.msg.(*types.BlockRequest).ID.Short())
	}
	return s
}

// Scenario 6b: a core answers a block request with the block and up to
// Count-1 ancestors, newest first, and sends the answer to the validator
// that asked. It cannot address anyone else: a request from outside the
// validator set (From -1) is for the driver to serve, and the core drops it.
func TestBlockRequestsAreAnswered(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 1)
	h.pauseAt(6)
	const server, asker = 0, 1
	b5 := h.blockAt(server, 5)
	cases := []struct {
		name   string
		from   int
		id     types.Hash
		count  uint32
		rounds []uint64 // of the blocks in the answer; nil for no answer
		drop   bool     // counted as DropUnknownSender
	}{
		{"three newest first", asker, b5.ID(), 3, []uint64{5, 4, 3}, false},
		{"down to genesis", asker, b5.ID(), 100, []uint64{5, 4, 3, 2, 1, 0}, false},
		{"just the block", asker, b5.ID(), 1, []uint64{5}, false},
		{"unknown block", asker, types.HashOf([]byte("unknown")), 3, nil, false},
		{"from a non-validator", -1, b5.ID(), 3, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sent := len(h.wire)
			before := h.drops(server, consensus.DropUnknownSender)
			h.deliver(tc.from, server, &types.BlockRequest{ID: tc.id, Count: tc.count})
			out := h.wire[sent:]
			if tc.rounds == nil {
				if len(out) != 0 {
					t.Fatalf("answered with %d messages, first to %d", len(out), out[0].to)
				}
			} else {
				if len(out) != 1 || out[0].to != asker || out[0].msg.Kind() != types.KindBlockResponse {
					t.Fatalf("want one block response to %d, got %d messages", asker, len(out))
				}
				blocks := out[0].msg.(*types.BlockResponse).Blocks
				var rounds []uint64
				for i, b := range blocks {
					rounds = append(rounds, b.Round)
					if i > 0 && blocks[i-1].Parent != b.ID() {
						t.Errorf("block %d is not the parent of block %d", i, i-1)
					}
				}
				if fmt.Sprint(rounds) != fmt.Sprint(tc.rounds) || blocks[0].ID() != tc.id {
					t.Errorf("answered rounds %v, want %v", rounds, tc.rounds)
				}
			}
			if got := h.drops(server, consensus.DropUnknownSender) - before; (got == 1) != tc.drop {
				t.Errorf("DropUnknownSender grew by %d", got)
			}
		})
	}
}

// An answer never outgrows a message: with blocks of ~3 MiB, a request for
// 64 gets as many as fit under the limit, newest first, and at least the
// block asked for.
func TestBlockResponsesFitInAMessage(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 1)
	h.txBody = 63 << 10 // 48 transactions of 63 KiB: ~3 MiB blocks
	h.pauseAt(8)
	const server, asker = 0, 1
	b7 := h.blockAt(server, 7)
	sent := len(h.wire)
	h.deliver(asker, server, &types.BlockRequest{ID: b7.ID(), Count: types.MaxFetchBlocks})
	out := h.wire[sent:]
	if len(out) != 1 || out[0].msg.Kind() != types.KindBlockResponse {
		t.Fatalf("want one block response, got %d messages", len(out))
	}
	blocks := out[0].msg.(*types.BlockResponse).Blocks
	size := len(types.EncodeMessage(out[0].msg))
	if size > types.MaxMessageBytes {
		t.Fatalf("answer of %d blocks is %d bytes, over the %d-byte message limit", len(blocks), size, types.MaxMessageBytes)
	}
	if len(blocks) < 2 || len(blocks) >= 8 || blocks[0].ID() != b7.ID() {
		t.Fatalf("answered %d blocks (first %s), want the asked block and some but not all of its 7 ancestors",
			len(blocks), blocks[0].ID().Short())
	}
}

// A validator that fell further behind than one block request reaches
// climbs the committed chain: it asks for FetchBatch blocks at a time
// from its committed height upward, each answer hash-linked to a block it
// holds, so every block crosses the wire to it about once and nothing is
// parked. The last stretch, near the tip, is fetched down from the tip.
func TestLaggardFarBehindClimbs(t *testing.T) {
	for _, c := range []struct {
		name   string
		height uint64 // the others' height before the laggard rejoins
	}{
		{"a hundred blocks", 100},
		// More than the parked-block bound (4,096): fetching down from the
		// tip parked until the bound was full, then fetched the range again.
		{"five thousand blocks", 5000},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, 1, 1, 1, 1)
			h.keepCommitted = 2 * int(c.height) // the others answer from memory
			for i := range h.nodes {
				h.restart(i)
			}
			const lag = 3
			heal := h.drop(func(e envelope) bool { return e.to == lag || e.from == lag })
			others := []int{0, 1, 2}
			h.run("the others past the height", int(c.height)*4, h.committedAtLeast(c.height, others...))
			heal()
			lagging := h.nodes[lag]
			start := lagging.tip().Height
			gap := h.nodes[0].tip().Height - start
			if gap > 20*types.MaxFetchBlocks {
				// The laggard commits as it climbs, so its memory holds a
				// stretch of the chain, not the gap: ten requests in, it
				// has committed most of what the first answers carried.
				fetches := lagging.core.Stats().Fetches
				h.run("ten requests from the laggard", int(c.height)*4, func() bool { return lagging.core.Stats().Fetches >= fetches+10 })
				if got, want := lagging.tip().Height, start+6*types.MaxFetchBlocks; got < want {
					t.Errorf("laggard committed up to height %d after ten requests, want at least %d", got, want)
				}
			}
			target := h.nodes[0].tip().Height + 3
			h.run("everyone at the target height", int(c.height)*4, h.committedAtLeast(target))

			climbs := h.sent(allOf(from(lag), ofKind(types.KindChainRequest)))
			if len(climbs) == 0 || climbs[0].msg.(*types.ChainRequest).From != start+1 {
				t.Fatalf("laggard at height %d did not climb from the next height: %d climb requests", start, len(climbs))
			}
			last := start + 1
			for _, e := range climbs {
				// Each asks for the next stretch (after an answer that may
				// stop short near the answerer's tip), or again for the
				// last one (a retry, elsewhere, of an answer slow to come).
				q := e.msg.(*types.ChainRequest)
				if q.Count != types.MaxFetchBlocks || q.From < last || q.From > last+types.MaxFetchBlocks {
					t.Fatalf("climb asked for %d blocks from height %d after height %d", q.Count, q.From, last)
				}
				last = q.From
			}
			if min := gap / types.MaxFetchBlocks; uint64(len(climbs)) < min {
				t.Errorf("%d climb requests for a gap of %d blocks, want at least %d", len(climbs), gap, min)
			}
			received := 0
			for _, e := range h.sent(allOf(to(lag), ofKind(types.KindBlockResponse))) {
				received += len(e.msg.(*types.BlockResponse).Blocks)
			}
			if limit := int(gap) + 4*types.MaxFetchBlocks; received > limit {
				t.Errorf("laggard received %d blocks to close a gap of %d, want at most %d", received, gap, limit)
			}
			for height, b := range h.nodes[0].committed[:target+1] {
				if got := lagging.committed[height]; got.ID() != b.ID() {
					t.Fatalf("laggard committed %s at height %d, node 0 %s", got.ID().Short(), height, b.ID().Short())
				}
			}
		})
	}
}

func requestCounts(es []envelope) []uint32 {
	var out []uint32
	for _, e := range es {
		out = append(out, e.msg.(*types.BlockRequest).Count)
	}
	return out
}

// A Byzantine leader's proposal whose QC certifies a block below the
// committed round (pruned from memory, or, as here, off the committed
// chain) can never commit: it is dropped at once, not parked waiting for a parent that is
// never fetched (each such proposal could hold 16 MiB for good).
func TestProposalOnDeadQCNotParked(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 1)
	const target = 0
	r := h.roundWhere(14, func(r uint64) bool { return h.leader(r) != target && h.leader(r+1) != target })
	h.pauseAt(r)
	c := h.core(target)
	// A block of round 3 off the committed chain, with a QC for it: the
	// core never saw it, and round 3 is far below the committed round.
	fork := h.block(3, 3, h.makeQC(2, h.blockAt(target, 2).ID(), 0, 1, 2))
	if fork.ID() == h.blockAt(target, 3).ID() {
		t.Fatal("the fork is the committed block")
	}
	qc := h.makeQC(3, fork.ID(), 0, 1, 2)
	// For the next round, so that it is no second proposal of a round
	// (those are not stored either way).
	leader := h.leader(r + 1)
	stale, fetches := h.drops(target, consensus.DropStaleRound), c.Stats().Fetches
	round := r
	for i := range 5 {
		round = h.roundWhere(round+1, func(x uint64) bool { return h.leader(x) == leader })
		b := types.NewBlock(testEpoch, round, 1<<40+uint64(i), qc, uint32(leader), payload(uint64(9000+i)))
		h.deliver(leader, target, h.signProposal(b, nil))
	}
	if got := h.drops(target, consensus.DropStaleRound) - stale; got != 5 {
		t.Fatalf("%d of 5 proposals on a dead QC dropped", got)
	}
	if c.Stats().Fetches != fetches {
		t.Fatalf("the core fetched %d blocks for proposals on a dead QC", c.Stats().Fetches-fetches)
	}
	h.run("height 16", 20, h.committedAtLeast(16))
}

// A parked block that claims a great height but certifies a round older
// than a later committed head is forgotten at that commit: it can never
// commit, and its missing parent will never arrive.
func TestParkedOnOldRoundForgottenAtCommit(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 1)
	const target = 0
	r := h.roundWhere(14, func(r uint64) bool { return h.leader(r) != target && h.leader(r+1) != target })
	h.pauseAt(r)
	c := h.core(target)
	if c.Committed().Round >= r-1 {
		t.Fatalf("committed round %d, want below %d", c.Committed().Round, r-1)
	}
	real := h.blockAt(target, r-2)
	fork := h.block(r-1, real.Height+1, h.makeQC(r-2, real.ID(), 0, 1, 2))
	qc := h.makeQC(r-1, fork.ID(), 0, 1, 2)
	leader := h.leader(r + 1) // the next round's: no second proposal of a round
	b := types.NewBlock(testEpoch, r+1, 1<<40, qc, uint32(leader), payload(9100))
	h.deliver(leader, target, h.signProposal(b, nil))
	if c.Parked() != 1 {
		t.Fatalf("%d blocks parked, want the proposal on the unknown fork", c.Parked())
	}
	h.run("a commit past the fork's round", 20, func() bool { return c.Committed().Round > r })
	if c.Parked() != 0 {
		t.Fatalf("%d blocks still parked after committing round %d", c.Parked(), c.Committed().Round)
	}
}

// A proposal for a round long past is not stored: only a QC can make its
// block needed, and then it is fetched. Otherwise a leader could write a
// block to every node's disk for each round it ever led.
func TestStaleProposalNotStored(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 1)
	const target = 0
	r := h.roundWhere(14, func(r uint64) bool { return h.leader(r) != target })
	h.pauseAt(r)
	c := h.core(target)
	parent := h.blockAt(target, r-6)
	qc := h.makeQC(parent.Round, parent.ID(), 0, 1, 2)
	old := h.roundWhere(parent.Round+1, func(x uint64) bool { return h.leader(x) != target })
	b := types.NewBlock(testEpoch, old, parent.Height+1, qc, uint32(h.leader(old)), payload(9200))
	stale := h.drops(target, consensus.DropStaleRound)
	h.deliver(h.leader(old), target, h.signProposal(b, nil))
	if h.drops(target, consensus.DropStaleRound) != stale+1 || c.Block(b.ID()) != nil {
		t.Fatalf("a proposal of round %d in round %d: stored %v", old, c.Round(), c.Block(b.ID()) != nil)
	}
}

// Parked blocks are bounded in bytes, not only in count: past the bound a
// block on an unknown parent is dropped, and the bytes of parked blocks a
// commit makes moot are given back.
func TestParkedBlocksBoundedInBytes(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 1)
	const target = 0
	r := h.roundWhere(14, func(r uint64) bool { return h.leader(r) != target && h.leader(r+1) != target })
	h.pauseAt(r)
	real := h.blockAt(target, r-2)
	fork := h.block(r-1, real.Height+1, h.makeQC(r-2, real.ID(), 0, 1, 2))
	qc := h.makeQC(r-1, fork.ID(), 0, 1, 2)
	// Blocks on the unknown fork, one per round from r+1, each by its
	// round's leader (none is a second proposal of a round).
	var blocks []*types.Block
	for i := range uint64(5) {
		round := r + 1 + i
		blocks = append(blocks, types.NewBlock(testEpoch, round, 1<<40+i, qc, uint32(h.leader(round)), bulkyPayload(9200+i, 1000)))
	}
	size := blocks[0].EncodedSize()
	h.parkedBytes = 2*size + size/2 // room for two
	h.restart(target)
	c := h.core(target)
	dropped := h.drops(target, consensus.DropUnknownParent)
	for _, b := range blocks {
		h.deliver(int(b.Proposer), target, h.signProposal(b, nil))
	}
	if c.Parked() != 2 {
		t.Fatalf("%d blocks parked, want 2 within %d bytes", c.Parked(), h.parkedBytes)
	}
	if got := c.ParkedBytes(); got != 2*size {
		t.Fatalf("%d parked bytes, want %d", got, 2*size)
	}
	if got := h.drops(target, consensus.DropUnknownParent) - dropped; got != 3 {
		t.Fatalf("%d blocks dropped for the bound, want 3", got)
	}
	h.run("a commit past the fork's round", 40, func() bool { return c.Committed().Round > r+5 })
	if c.Parked() != 0 || c.ParkedBytes() != 0 {
		t.Fatalf("%d blocks (%d bytes) still parked after committing round %d", c.Parked(), c.ParkedBytes(), c.Committed().Round)
	}
}

// A block response whose blocks do not hash-link from first to last is
// dropped whole: the kept prefix would hold the message's junk tail in
// memory. The laggard still catches up from an honest answer.
func TestBlockResponseWithUnlinkedTailDropped(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 1)
	const lag = 3
	a, lagging := h.missRounds(lag)
	sender := h.leader(a + 4)
	parent := h.blockAt(sender, a+3)
	junk := types.NewBlock(testEpoch, a+2, parent.Height-1, h.makeQC(a+1, parent.Parent, 0, 1, 2), uint32(sender), bulkyPayload(9300, 1000))
	if junk.ID() == parent.Parent {
		t.Fatal("the junk block is the real parent")
	}
	invalid, parked := h.drops(lag, consensus.DropInvalid), lagging.core.Parked()
	h.deliver(sender, lag, &types.BlockResponse{Blocks: []*types.Block{parent, junk}})
	if got := h.drops(lag, consensus.DropInvalid) - invalid; got != 1 {
		t.Fatalf("%d responses dropped as invalid, want 1", got)
	}
	if lagging.core.Block(parent.ID()) != nil || lagging.core.Parked() != parked {
		t.Fatal("the laggard kept a block of an unlinked response")
	}
	h.pumpUntil("everyone at height a+6", h.committedAtLeast(a+6))
	for height, b := range h.nodes[0].committed[:a+7] {
		if got := lagging.committed[height]; got.ID() != b.ID() {
			t.Fatalf("laggard committed %s at height %d, want %s", got.ID().Short(), height, b.ID().Short())
		}
	}
}

// missRounds makes validator lag miss every message of rounds a .. a+3,
// in which it neither leads nor collects votes, so the others progress
// without it; it returns a and the laggard once it has asked for blocks.
func (h *harness) missRounds(lag int) (uint64, *node) {
	a := h.roundWhere(3, func(a uint64) bool {
		for r := a; r <= a+4; r++ {
			if h.leader(r) == lag {
				return false
			}
		}
		return true
	})
	h.drop(allOf(to(lag), inRounds(a, a+3)))
	lagging := h.nodes[lag]
	h.pumpUntil("the laggard asks for blocks", func() bool { return lagging.core.Stats().Fetches > 0 })
	return a, lagging
}

// A climb takes its answer only from the validator it asked: another
// validator's answer, even one that links, is dropped as unsolicited, so a
// faulty validator cannot race every honest answer with one of its own.
func TestClimbAnswerFromAnotherValidatorDropped(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 1)
	const lag = 3
	heal := h.drop(func(e envelope) bool { return e.to == lag || e.from == lag })
	h.run("the others past height 200", 800, h.committedAtLeast(200, 0, 1, 2))
	heal()
	// Hold the laggard's requests, so that only the answer below arrives.
	h.drop(allOf(from(lag), ofKind(types.KindChainRequest)))
	lagging := h.nodes[lag]
	h.pumpUntil("the laggard climbs", func() bool {
		return len(h.sent(allOf(from(lag), ofKind(types.KindChainRequest)))) > 0
	})
	q := h.sent(allOf(from(lag), ofKind(types.KindChainRequest)))[0]
	other := (q.to + 1) % lag
	up := h.nodes[other].committed[q.msg.(*types.ChainRequest).From:][:types.MaxFetchBlocks]
	answer := &types.BlockResponse{Blocks: consensus.ChainAnswer(up, types.MaxFetchBlocks)}

	before := h.drops(lag, consensus.DropUnsolicited)
	h.deliver(other, lag, answer)
	if got := h.drops(lag, consensus.DropUnsolicited); got != before+1 {
		t.Fatalf("answer from validator %d (asked: %d): %d unsolicited drops, want %d", other, q.to, got, before+1)
	}
	if h := lagging.tip().Height; h != 0 {
		t.Fatalf("laggard committed up to height %d from an answer it did not ask for", h)
	}
	h.deliver(q.to, lag, answer)
	if lagging.tip().Height == 0 {
		t.Fatal("the same answer from the validator asked committed nothing")
	}
}

// A climbed block goes in (and to disk) only once a verified QC names it.
// A faulty answerer can copy a real block's QC, which names the real
// parent, onto a block of its own making: as the newest of an answer it
// is held in memory until the next answer, and in the middle its child's
// forged QC keeps it out. The climb goes on from honest answers.
func TestClimbStoresOnlyNamedBlocks(t *testing.T) {
	for _, c := range []struct {
		name  string
		forge int // index, oldest first, of the made-up block in an 8-block answer
	}{
		{"the newest block", 7},
		{"a block in the middle", 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t, 1, 1, 1, 1)
			const lag = 3
			heal := h.drop(func(e envelope) bool { return e.to == lag || e.from == lag })
			h.run("the others past height 200", 800, h.committedAtLeast(200, 0, 1, 2))
			heal()
			healRequests := h.drop(allOf(from(lag), ofKind(types.KindChainRequest)))
			lagging := h.nodes[lag]
			h.pumpUntil("the laggard climbs", func() bool {
				return len(h.sent(allOf(from(lag), ofKind(types.KindChainRequest)))) > 0
			})
			q := h.sent(allOf(from(lag), ofKind(types.KindChainRequest)))[0]
			up := slices.Clone(h.nodes[q.to].committed[q.msg.(*types.ChainRequest).From:][:8])
			real := up[c.forge]
			forged := types.NewBlock(real.Epoch, real.Round, real.Height, real.QC, (real.Proposer+1)%4, nil)
			up[c.forge] = forged
			if c.forge+1 < len(up) {
				// Its child names it, with a signature the faulty answerer
				// cannot make.
				child := up[c.forge+1]
				qc := *child.QC
				qc.BlockID = forged.ID()
				up[c.forge+1] = types.NewBlock(child.Epoch, child.Round, child.Height, &qc, child.Proposer, nil)
				up = up[:c.forge+2]
			}
			h.deliver(q.to, lag, &types.BlockResponse{Blocks: consensus.ChainAnswer(up, types.MaxFetchBlocks)})
			if lagging.stored[forged.ID()] != nil || lagging.core.Block(forged.ID()) != nil {
				t.Fatalf("the made-up block at height %d went in", forged.Height)
			}
			for _, b := range up[:c.forge] {
				if lagging.stored[b.ID()] == nil {
					t.Fatalf("real block at height %d below the made-up one was not stored", b.Height)
				}
			}
			healRequests()
			target := h.nodes[0].tip().Height + 3
			h.run("everyone at the target height", 4000, h.committedAtLeast(target))
			for height, b := range h.nodes[0].committed[:target+1] {
				if got := lagging.committed[height]; got.ID() != b.ID() {
					t.Fatalf("laggard committed %s at height %d, node 0 %s", got.ID().Short(), height, b.ID().Short())
				}
			}
			if lagging.stored[forged.ID()] != nil {
				t.Fatal("the made-up block was stored later")
			}
		})
	}
}

// leaveBehind cuts validator target off while the others commit n blocks
// past its tip, then restores its links; it returns the laggard, which
// has received nothing of those blocks yet.
func (h *harness) leaveBehind(target int, n uint64) *node {
	h.t.Helper()
	h.run("first commits", 10, h.committedAtLeast(2))
	heal := h.drop(isolated(target))
	lagging := h.nodes[target]
	h.run("the others move on", 400, h.committedAtLeast(lagging.tip().Height+n, h.othersThan(target)...))
	heal()
	return lagging
}

// A laggard gets the proposals it missed after a later QC moved it past
// their rounds. It keeps their blocks in memory, not on disk, and takes
// them as fetched once a QC names them; committing as they link up, it
// catches up without asking the network for any of them.
func TestStaleProposalsTakenWhenNamed(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 1)
	const target = 3
	lagging := h.leaveBehind(target, 7)
	start := lagging.tip().Height

	var missed []envelope
	for _, e := range h.wire {
		if p, ok := e.msg.(*types.Proposal); ok && e.to == target && lagging.core.Block(p.Block.ID()) == nil {
			missed = append(missed, e)
		}
	}
	if len(missed) < 6 {
		t.Fatalf("the laggard missed %d proposals, want at least 6", len(missed))
	}
	h.drop(allOf(from(target), ofKind(types.KindBlockRequest)))
	requests := len(h.sent(allOf(from(target), ofKind(types.KindBlockRequest))))
	newest := missed[len(missed)-1]
	h.deliver(newest.from, target, newest.msg) // its QC moves the laggard on
	rest := missed[:len(missed)-1]
	for _, e := range rest {
		h.deliver(e.from, target, e.msg)
	}

	asked := h.sent(allOf(from(target), ofKind(types.KindBlockRequest)))[requests:]
	// One for the newest proposal's parent, before the others came,
	// and at most one more for a block of a round that timed out,
	// which no later proposal names. Without the stash it asks for
	// every block.
	if len(asked) > 2 {
		t.Errorf("the laggard sent %d block requests for %d proposals it was sent, want at most 2", len(asked), len(missed))
	}
	want := rest[len(rest)-1].msg.(*types.Proposal).Block.Height - 2
	if got := lagging.core.Committed().Height; got < want {
		t.Fatalf("the laggard committed height %d from the blocks it was sent, want %d; %s", got, want, lagging.core.Describe())
	}
	for _, b := range lagging.committed[start:] {
		if b.ID() != h.heights[b.Height] {
			t.Fatalf("the laggard committed another block at height %d", b.Height)
		}
	}
}

// The stash of stale proposals is bounded: one block per round, however
// many its leader signs (stale rounds are not checked for a second
// proposal), and 128 blocks in all, the newest rounds kept.
func TestStashBounded(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 1)
	const target = 3
	tip := h.leaveBehind(target, 220).tip()
	var newest envelope
	for _, e := range h.wire {
		if _, ok := e.msg.(*types.Proposal); ok && e.to == target {
			newest = e
		}
	}
	h.deliver(newest.from, target, newest.msg) // its QC moves the laggard on
	c := h.core(target)
	qc := h.makeQC(tip.Round, tip.ID(), h.othersThan(target)...)
	forge := func(round uint64, n int) {
		for i := range n {
			b := types.NewBlock(testEpoch, round, tip.Height+1, qc, uint32(c.Leader(round)), payload(round*100+uint64(i)))
			h.deliver(c.Leader(round), target, h.signProposal(b, nil))
		}
	}
	stale := tip.Round + 5
	if stale+1 >= c.Round() || c.Leader(stale) == target {
		t.Fatalf("round %d is not a stale round led by another (core in round %d)", stale, c.Round())
	}
	forge(stale, 5)
	if got := c.Stashed(); got != 1 {
		t.Fatalf("five blocks of one round: %d stashed, want 1", got)
	}
	var rounds int
	for r := tip.Round + 1; r+1 < c.Round(); r++ {
		if c.Leader(r) != target {
			forge(r, 1)
			rounds++
		}
	}
	const maxStashed = 2 * types.MaxFetchBlocks
	if rounds <= maxStashed {
		t.Fatalf("only %d stale rounds to forge, want more than %d", rounds, maxStashed)
	}
	if got := c.Stashed(); got != maxStashed {
		t.Fatalf("%d stale rounds: %d stashed, want %d", rounds, got, maxStashed)
	}
}

// A faulty validator asked to climb that answers each request with one
// real block, a few rounds late (inside the retry window), does not keep
// the climb: after a short answer the next request goes elsewhere. Before,
// every answer counted as progress, the climb stayed with it and gained a
// block every seven rounds while the chain grew one a round.
func TestSlowClimbAnswererLosesTheClimb(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 1)
	h.keepCommitted = 100000
	for i := range h.nodes {
		h.restart(i)
	}
	const lag, bad = 3, 0
	heal := h.drop(isolated(lag))
	h.run("others past 300", 2000, h.committedAtLeast(300, 0, 1, 2))
	heal()
	lagging := h.nodes[lag]
	// The first far message the laggard gets is the faulty one's, so the
	// climb starts with it; it answers by hand below.
	healOthers := h.drop(func(e envelope) bool { return e.to == lag && e.from != bad })
	h.drop(allOf(from(lag), to(bad), ofKind(types.KindChainRequest)))
	h.pumpUntil("the laggard climbs", func() bool {
		return len(h.sent(allOf(from(lag), ofKind(types.KindChainRequest)))) > 0
	})
	healOthers()
	type asked struct {
		q     *types.ChainRequest
		round uint64
	}
	var pending []asked
	seen := 0
	for steps := 0; h.nodes[0].tip().Height-lagging.tip().Height > 5; steps++ {
		for ; seen < len(h.wire); seen++ {
			if e := h.wire[seen]; e.from == lag && e.to == bad && e.msg.Kind() == types.KindChainRequest {
				pending = append(pending, asked{e.msg.(*types.ChainRequest), lagging.core.Round()})
			}
		}
		for len(pending) > 0 && lagging.core.Round() >= pending[0].round+7 {
			q := pending[0].q
			pending = pending[1:]
			up := h.nodes[bad].committed[q.From : q.From+1]
			h.deliver(bad, lag, &types.BlockResponse{Blocks: consensus.ChainAnswer(up, 1)})
		}
		if steps > 20000 || !h.step() {
			// Only the laggard's own timeout (which forces a retry
			// elsewhere) would end the climb here: a follower that leads no
			// round may never have one.
			t.Fatalf("the laggard is still %d blocks behind after %d steps", h.nodes[0].tip().Height-lagging.tip().Height, steps)
		}
	}
}
