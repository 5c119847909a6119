package node

import (
	"context"
	"fmt"
	"time"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/mempool"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/safety"
	"github.com/lazchain/lazchain/internal/types"
)

// emptyBlockDelay is how long a leader with nothing to propose waits for
// transactions when the chain has nothing left to commit either. It keeps
// an idle chain from spinning while staying well under the round timeout.
const emptyBlockDelay = 200 * time.Millisecond

// loop is the driver: the only goroutine that touches the core.
func (n *Node) loop(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	var timerRound uint64
	var payload *consensus.PayloadRequest
	var payloadAt time.Time
	idle := time.NewTicker(50 * time.Millisecond)
	defer idle.Stop()

	n.exec = newExecutor(n.execute, n.markBulk)
	defer n.exec.stop()
	n.core.Start()
	if err := n.flush(&timerRound, timer, &payload, &payloadAt); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-n.exec.ready:
			refs, err := n.exec.take()
			if err != nil {
				return err
			}
			for _, ref := range refs {
				n.core.Step(&consensus.Executed{Ref: ref})
			}
		case in := <-n.inbox:
			n.step(in)
			n.drainInbox(16)
		case <-timer.C:
			n.core.Step(&consensus.TimerFired{Round: timerRound})
		case <-n.kick:
		case now := <-idle.C:
			n.stall.check(now, n.log, n.stallAttrs)
			n.indexFail.check(now, n.machine.IndexErr(), n.log)
		}
		if payload != nil && (n.hasWork(payload) || time.Since(payloadAt) >= n.emptyDelay()) && !n.awaitStragglers(payload, payloadAt) {
			n.propose(payload)
			payload = nil
		}
		if err := n.flush(&timerRound, timer, &payload, &payloadAt); err != nil {
			return err
		}
	}
}

// drainInbox steps up to max more queued messages before flushing, so one
// synced write covers a burst.
func (n *Node) drainInbox(max int) {
	for i := 0; i < max; i++ {
		select {
		case in := <-n.inbox:
			n.step(in)
		default:
			return
		}
	}
}

// step hands one inbound message to the core.
func (n *Node) step(in inbound) {
	n.metrics.phases.stepped(in.msg, in.at, time.Now())
	high := n.core.HighQC()
	n.core.Step(&consensus.Receive{From: in.from, Msg: in.msg})
	if _, ok := in.msg.(*types.EpochProof); ok && n.core.HighQC() != high {
		// Only a proof that checked out and moved the core on counts for
		// its relay, which is asked first after the switch; a forged one
		// must not buy a liar that turn.
		n.epochs.proved(in.relay)
	}
}

// hasWork reports whether a proposal now would carry or commit anything:
// the mempool has a transaction that could go in this block (one stuck
// behind a nonce gap does not count, or an idle chain would spin), or a
// block the proposal builds on carries some and the other validators do
// not know it committed yet. With votes broadcast they learn a commit when
// the QC forms, as this node does. Otherwise they learn it from the QC in
// the next proposal, so what counts is what the proposals so far have
// announced: a block with transactions above that needs this proposal
// (after a timeout, more than one).
func (n *Node) hasWork(p *consensus.PayloadRequest) bool {
	if size, _ := n.pool.Size(); size > 0 {
		if len(n.pool.Reap(1, n.genesis.Consensus.MaxBlockBytes, n.pendingNonces(p.Parent))) > 0 {
			return true
		}
	}
	parent := n.core.Block(p.Parent)
	known := n.core.Committed().Height
	if !n.broadcastVotes(n.view()) {
		known = min(known, announcedCommit(n.core.Block, parent))
	}
	for b := parent; b != nil && b.Height > known; b = n.core.Block(b.Parent) {
		if len(b.Txs) > 0 {
			return true
		}
	}
	return false
}

// announcedCommit is the highest height that the QCs in the proposals of
// a and its ancestors prove committed: a proposal's QC certifies its
// parent b, and commits b's parent when b's own QC is of the round just
// before b's.
func announcedCommit(block func(types.Hash) *types.Block, a *types.Block) uint64 {
	if a == nil {
		return 0
	}
	for b := block(a.Parent); b != nil; b = block(b.Parent) {
		if b.QC != nil && b.QC.Round+1 == b.Round {
			return b.Height - 1
		}
	}
	return 0
}

// broadcastVotes reports whether votes go to every validator of v's set.
func (n *Node) broadcastVotes(v *epochView) bool {
	return n.genesis.Consensus.BroadcastVotes && v.set.Len() <= consensus.BroadcastVotesUpTo
}

func (n *Node) propose(p *consensus.PayloadRequest) {
	c := n.genesis.Consensus
	txs, ages := n.pool.ReapAged(c.MaxBlockTxs, c.MaxBlockBytes, n.pendingNonces(p.Parent))
	for _, age := range ages {
		n.metrics.txWait.Observe(age.Seconds())
	}
	n.core.Step(&consensus.PayloadReady{Round: p.Round, Txs: txs})
}

// pendingNonces collects, per sender, the nonce after the transactions in
// the blocks from parent down that the mempool still holds (uncommitted,
// or committed in a Ready not yet carried out), so a proposal never
// repeats what its own ancestors carry.
func (n *Node) pendingNonces(parent types.Hash) mempool.Pending {
	var blocks []*types.Block
	told := n.poolHeight.Load()
	for b := n.core.Block(parent); b != nil && b.Height > told; b = n.core.Block(b.Parent) {
		blocks = append(blocks, b)
	}
	return carriedNonces(blocks, n.machine.Nonce)
}

// carriedNonces is, per sender, the nonce after the run of consecutive
// nonces that blocks (newest first) carry from the sender's committed
// nonce on. Only such a run can execute: a transaction off it (a
// Byzantine leader may include a forged one for any sender at any nonce)
// uses no nonce, and counting it would keep the sender's real next
// transactions out of proposals until that block commits.
//
// A forged transaction exactly at the next nonce still counts (a faulty
// leader's block delays the real one until that block commits or is left
// behind): telling it apart takes a signature check per transaction the
// pool lacks, or a pool lookup per transaction under the pool's lock, and
// either on the driver at every proposal cost more than the rare delay.
func carriedNonces(blocks []*types.Block, committed func(sender []byte) uint64) mempool.Pending {
	out := mempool.Pending{}
	for i := len(blocks) - 1; i >= 0; i-- {
		for _, tx := range blocks[i].Txs {
			var s [32]byte
			copy(s[:], tx.Sender)
			next, ok := out[s]
			if !ok {
				next = committed(tx.Sender)
			}
			if tx.Nonce == next {
				next++
			}
			out[s] = next
		}
	}
	return out
}

// flush carries out the core's Ready: execute and persist in one synced
// batch, then tell the mempool and waiters, then send and arm the timer.
func (n *Node) flush(timerRound *uint64, timer *time.Timer, payload **consensus.PayloadRequest, payloadAt *time.Time) error {
	for {
		r := n.core.Ready()
		if r.Empty() {
			return nil
		}
		n.sendCertified(&r)
		if r.Payload != nil {
			n.metrics.phases.asked(r.Payload.Round, time.Now())
		}
		if r.Payload != nil && n.hasWork(r.Payload) && !n.awaitStragglers(r.Payload, time.Now()) {
			// Propose before writing: the proposal then shares the synced
			// write of the commit and QC that asked for it, one fsync less
			// on the leader's path to every round.
			n.propose(r.Payload)
			r.Payload = nil
			r.Merge(n.core.Ready())
		}
		n.sendCovered(&r)
		t0 := time.Now()
		if err := n.store.Apply(&r); err != nil {
			// Losing a write means we can no longer promise durability.
			return fmt.Errorf("persist: %w", err)
		}
		n.metrics.persist.Observe(time.Since(t0).Seconds())
		if n.rules != nil {
			n.durable = n.rules.Data() // what the write just made durable
		}
		// Votes and proposals leave as soon as the safety state that
		// allowed them is durable. Executing what this Ready committed
		// comes after, on the executor: no vote needs it (proposals vouch
		// for a height executed earlier), and a crash before its state is
		// written is repaired by re-executing committed blocks at start.
		for _, m := range r.Messages {
			n.send(m)
		}
		n.noteCommits(&r)
		if err := n.executeCommitted(r.Committed); err != nil {
			return err
		}
		for _, eq := range r.Equivocations {
			select {
			case n.reporter.checking <- struct{}{}:
				set := n.view().set
				n.spawn(func() {
					defer func() { <-n.reporter.checking }()
					n.report(eq, set)
				})
			default:
				n.metrics.rejected.WithLabelValues("equivocation_reports_busy").Inc()
			}
		}
		if r.Timer != nil {
			*timerRound = r.Timer.Round
			timer.Reset(time.Duration(r.Timer.Ticks) * time.Millisecond)
		}
		if r.Payload != nil {
			*payload, *payloadAt = r.Payload, time.Now()
			n.metrics.phases.asked(r.Payload.Round, *payloadAt)
			if n.hasWork(r.Payload) && !n.awaitStragglers(r.Payload, *payloadAt) { // work arrived since the check above
				n.propose(r.Payload)
				*payload = nil
			}
		}
		if n.core.Ended() {
			*payload = nil // the old core's; the new one asks again
			// The next epoch's set is in the state of the last block:
			// execute it first. The old core's results are moot; the new
			// core reads them from the machine.
			if err := n.exec.wait(); err != nil {
				return err
			}
			n.exec.take()
			if err := n.nextEpoch(); err != nil {
				return fmt.Errorf("start epoch: %w", err)
			}
		}
	}
}

// executeCommitted runs small commits here and hands large ones to the
// executor, whose results reach the core from the loop.
func (n *Node) executeCommitted(blocks []*types.Block) error {
	refs, ok, err := n.exec.inline(blocks)
	if !ok {
		return n.exec.submit(blocks)
	}
	for _, ref := range refs {
		n.core.Step(&consensus.Executed{Ref: ref})
	}
	return err
}

// noteCommits records, on the driver, when blocks were first seen and how
// long they took to commit.
func (n *Node) noteCommits(r *consensus.Ready) {
	now := time.Now()
	for _, b := range r.Blocks {
		if _, ok := n.seen[b.ID()]; !ok {
			n.seen[b.ID()] = now
		}
	}
	for _, b := range r.Committed {
		if t, ok := n.seen[b.ID()]; ok {
			n.metrics.commitLatency.Observe(now.Sub(t).Seconds())
			delete(n.seen, b.ID())
		}
	}
	if len(n.seen) > 10_000 { // forks that will never commit
		clear(n.seen)
	}
	n.status.setRound(n.core.Round())
	n.metrics.phases.entered(n.core.Round(), now)
	n.metrics.round.Set(float64(n.core.Round()))
	n.metrics.demoted.Set(float64(n.core.Demoted()))
	n.metrics.observeCore(n.core.Stats())
}

// sendCertified sends QC announcements ahead of the write, so the others
// check the QC while this node builds and persists its proposal, unless
// the QC aggregates this node's own vote and that vote is not durable yet
// (safety.CertifiedCovered): such an announcement waits for the write.
func (n *Node) sendCertified(r *consensus.Ready) {
	v := n.view()
	early := func(m types.Message) bool {
		// Our index is known only in the view's epoch.
		c, ok := m.(*types.Certified)
		return ok && c.QC != nil && c.QC.Epoch == v.set.Epoch && safety.CertifiedCovered(n.durable, v.self, m)
	}
	for _, m := range r.Take(early) {
		n.send(m)
	}
}

// sendCovered sends, ahead of the write, the proposals that the safety
// data already durable covers (safety.ProposalCovered): a restart from it
// would not propose in their rounds again. The leader's write, with its
// own megabyte block under load, then runs while its peers check the
// proposal instead of before.
func (n *Node) sendCovered(r *consensus.Ready) {
	for _, m := range r.Take(func(m types.Message) bool { return safety.ProposalCovered(n.durable, m) }) {
		n.send(m)
	}
}

// send encodes once and hands the bytes to p2p.
func (n *Node) send(m consensus.Outbound) {
	n.metrics.phases.sent(m.Msg, time.Now())
	payload := types.EncodeMessage(m.Msg)
	if m.To == consensus.Broadcast {
		n.host.Broadcast(chanConsensus, payload)
		return
	}
	if ids := n.view().nodeIDs; m.To >= 0 && m.To < len(ids) {
		if !n.host.Send(ids[m.To], chanConsensus, payload) {
			switch m.Msg.(type) {
			case *types.BlockRequest, *types.ChainRequest:
				n.askElsewhere(ids[m.To], payload)
			case *types.Vote:
				n.voteToAll(ids, m.To, payload)
			}
		}
	}
}

// voteToAll sends a vote whose collector (the next round's leader) is not
// connected to every other validator: they form the QC and carry it in
// their timeouts, so the round before a crashed leader's still certifies
// its block and only the crashed leader's own round times out. Sent to
// the collector alone, both rounds timed out, the second after a doubled
// timeout, in every rotation of the leaders.
func (n *Node) voteToAll(ids []p2p.NodeID, collector int, payload []byte) {
	for i, id := range ids {
		if i != collector && id != n.host.ID() {
			n.host.Send(id, chanConsensus, payload)
		}
	}
}

// emptyDelay is emptyBlockDelay, but never more than a quarter of the
// round timeout, so an idle leader proposes before its round times out.
func (n *Node) emptyDelay() time.Duration {
	return min(emptyBlockDelay, time.Duration(n.genesis.Consensus.BaseTimeoutMs)*time.Millisecond/4)
}
