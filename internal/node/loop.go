package node

import (
	"context"
	"fmt"
	"time"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/mempool"
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

	n.core.Start()
	if err := n.flush(&timerRound, timer, &payload, &payloadAt); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case in := <-n.inbox:
			n.core.Step(&consensus.Receive{From: in.from, Msg: in.msg})
			n.drainInbox(16)
		case <-timer.C:
			n.core.Step(&consensus.TimerFired{Round: timerRound})
		case <-n.kick:
		case <-idle.C:
		}
		if payload != nil && (n.hasWork(payload) || time.Since(payloadAt) >= n.emptyDelay()) {
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
			n.core.Step(&consensus.Receive{From: in.from, Msg: in.msg})
		default:
			return
		}
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
	txs := n.pool.Reap(c.MaxBlockTxs, c.MaxBlockBytes, n.pendingNonces(p.Parent))
	n.core.Step(&consensus.PayloadReady{Round: p.Round, Txs: txs})
}

// pendingNonces collects, per sender, the nonce after the transactions in
// the blocks from parent down that the mempool still holds (uncommitted,
// or committed in a Ready not yet carried out), so a proposal never
// repeats what its own ancestors carry.
func (n *Node) pendingNonces(parent types.Hash) mempool.Pending {
	out := mempool.Pending{}
	for b := n.core.Block(parent); b != nil && b.Height > n.poolHeight; b = n.core.Block(b.Parent) {
		for _, tx := range b.Txs {
			var s [32]byte
			copy(s[:], tx.Sender)
			out[s] = max(out[s], tx.Nonce+1)
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
		if r.Payload != nil && n.hasWork(r.Payload) {
			// Propose before writing: the proposal then shares the synced
			// write of the commit and QC that asked for it, one fsync less
			// on the leader's path to every round.
			n.propose(r.Payload)
			r.Payload = nil
			r.Merge(n.core.Ready())
		}
		t0 := time.Now()
		if err := n.store.Apply(&r); err != nil {
			// Losing a write means we can no longer promise durability.
			return fmt.Errorf("persist: %w", err)
		}
		n.metrics.persist.Observe(time.Since(t0).Seconds())
		// Votes and proposals leave as soon as the safety state that
		// allowed them is durable. Executing what this Ready committed
		// comes after: no vote needs it (proposals vouch for a height
		// executed earlier), and a crash before its state is written is
		// repaired by re-executing committed blocks at start.
		for _, m := range r.Messages {
			n.send(m)
		}
		if err := n.execute(r.Committed); err != nil {
			return err
		}
		n.afterCommit(&r)
		for _, eq := range r.Equivocations {
			go n.report(eq, n.view().set)
		}
		if r.Timer != nil {
			*timerRound = r.Timer.Round
			timer.Reset(time.Duration(r.Timer.Ticks) * time.Millisecond)
		}
		if r.Payload != nil {
			*payload, *payloadAt = r.Payload, time.Now()
			if n.hasWork(r.Payload) { // work arrived since the check above
				n.propose(r.Payload)
				*payload = nil
			}
		}
		if n.core.Ended() {
			*payload = nil // the old core's; the new one asks again
			if err := n.nextEpoch(); err != nil {
				return fmt.Errorf("start epoch: %w", err)
			}
		}
	}
}

// execute runs committed blocks, writes their state changes and reports
// the results to the core.
func (n *Node) execute(blocks []*types.Block) error {
	t0 := time.Now()
	kvs := n.machine.Apply(blocks)
	if err := n.store.WriteState(kvs, false); err != nil {
		return fmt.Errorf("persist state: %w", err)
	}
	if len(blocks) > 0 {
		n.metrics.execute.Observe(time.Since(t0).Seconds())
	}
	n.machine.Flushed()
	for _, ref := range n.machine.Executed() {
		n.core.Step(&consensus.Executed{Ref: ref})
	}
	return nil
}

func (n *Node) afterCommit(r *consensus.Ready) {
	now := time.Now()
	for _, b := range r.Blocks {
		if _, ok := n.seen[b.ID()]; !ok {
			n.seen[b.ID()] = now
		}
	}
	for _, b := range r.Committed {
		// Only now: execution skips the signature checks of transactions
		// the pool still holds.
		n.pool.Commit(b.Txs)
		n.poolHeight = b.Height
		if t, ok := n.seen[b.ID()]; ok {
			n.metrics.commitLatency.Observe(now.Sub(t).Seconds())
			delete(n.seen, b.ID())
		}
		n.metrics.committedTxs.Add(float64(len(b.Txs)))
		for _, tx := range b.Txs {
			n.waiters.done(tx.Hash(), b.Height)
		}
	}
	if k := len(r.Committed); k > 0 {
		if n.attestor != nil {
			n.attestor.Notify()
		}
		last := r.Committed[k-1]
		n.status.set(last.Height, last.ID(), n.core.Round())
		n.metrics.height.Set(float64(last.Height))
		if len(n.seen) > 10_000 { // forks that will never commit
			clear(n.seen)
		}
	}
	n.status.setRound(n.core.Round())
	n.metrics.round.Set(float64(n.core.Round()))
	n.metrics.observeCore(n.core.Stats())
}

// send encodes once and hands the bytes to p2p.
func (n *Node) send(m consensus.Outbound) {
	payload := types.EncodeMessage(m.Msg)
	if m.To == consensus.Broadcast {
		n.host.Broadcast(chanConsensus, payload)
		return
	}
	if ids := n.view().nodeIDs; m.To >= 0 && m.To < len(ids) {
		n.host.Send(ids[m.To], chanConsensus, payload)
	}
}

// emptyDelay is emptyBlockDelay, but never more than a quarter of the
// round timeout, so an idle leader proposes before its round times out.
func (n *Node) emptyDelay() time.Duration {
	return min(emptyBlockDelay, time.Duration(n.genesis.Consensus.BaseTimeoutMs)*time.Millisecond/4)
}
