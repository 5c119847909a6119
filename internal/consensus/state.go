package consensus

import (
	"math"

	"github.com/lazchain/lazchain/internal/types"
)

// keepExecRefs is how many recent execution results a core remembers to
// check proposals against. Honest proposers vouch for results a few blocks
// behind the tip, so a short window is plenty.
const keepExecRefs = 256

// execRefs holds the driver's recent execution results, and the vote that
// waits for one.
type execRefs struct {
	latest types.StateRef
	byH    map[uint64]types.StateRef
	wait   *waitingVote
}

// waitingVote is a vote withheld until the driver has executed the height
// the block vouches for (usually the block its own QC just committed).
type waitingVote struct {
	b, parent *types.Block
	tc        *types.TC
}

func newExecRefs(recent []types.StateRef) *execRefs {
	// Without results the driver has executed nothing: the chain's start,
	// whose result is the zero ref.
	e := &execRefs{byH: map[uint64]types.StateRef{0: {}}}
	for _, r := range recent {
		e.record(r)
	}
	return e
}

func (e *execRefs) record(r types.StateRef) {
	if r.Height < e.latest.Height || (r.Height == e.latest.Height && !e.latest.IsZero()) {
		return
	}
	e.latest = r
	e.byH[r.Height] = r
	if r.Height >= keepExecRefs {
		delete(e.byH, r.Height-keepExecRefs)
	}
}

// provable is the highest height that the certified chain ending at
// parent proves committed: a certified block whose parent has the round
// just before its own commits that parent. Every validator that accepts a
// proposal on parent can derive it, so a proposal may vouch only for
// results up to it; vouching for a commit learned elsewhere (a QC on an
// abandoned fork) would leave validators that missed it unable to check.
func (c *Core) provable(parent *types.Block) uint64 {
	floor := parent.State.Height
	for y := parent; y != nil && y.Height > floor; y = c.tree.get(y.Parent) {
		if y.QC == nil {
			return y.Height // an epoch's root block was committed in the epoch before
		}
		if y.QC.Round+1 == y.Round {
			return y.Height - 1
		}
	}
	return floor
}

// stateFor is the result a new block on parent vouches for: the latest
// executed one, one height below what the chain proves committed, never
// older than the parent's. The provable height itself (usually the
// parent's parent) is committed by validators only when this proposal's
// QC reaches them, so vouching for it would make every voter execute and
// persist that block before it may vote: a second synced write in every
// round. One height lower, voters executed it a round ago.
func (c *Core) stateFor(parent *types.Block) types.StateRef {
	if c.exec == nil {
		return types.StateRef{}
	}
	p := c.provable(parent)
	if p > 0 {
		p--
	}
	h := max(parent.State.Height, min(c.exec.latest.Height, p))
	if r, ok := c.exec.byH[h]; ok {
		return r
	}
	return parent.State
}

// stateAgrees reports whether b's execution result is the one this core
// computed. A block that vouches for a height not executed here yet parks
// the vote until Executed reports it; a wrong, backwards or unproven
// result is dropped, so no QC forms without more than 2/3 of stake
// re-deriving it.
func (c *Core) stateAgrees(b, parent *types.Block, tc *types.TC) bool {
	if c.exec == nil {
		return true
	}
	s := b.State
	switch {
	case s.Height < parent.State.Height || s.Height >= b.Height:
		c.drop(DropBadState)
		return false
	case s.Height > c.tree.committed.Height && s.Height > c.provable(parent):
		c.drop(DropBadState)
		return false
	case s.Height > c.exec.latest.Height:
		c.stats.ExecWaits++
		c.exec.wait = &waitingVote{b: b, parent: parent, tc: tc}
		c.commitAncestry(b.QC, parent)
		return false
	}
	mine, ok := c.exec.byH[s.Height]
	if !ok || mine != s {
		// Unknown means older than the window: not checkable, so not
		// votable; honest proposers never vouch for such old results.
		c.drop(DropBadState)
		return false
	}
	return true
}

// commitAncestry commits what the certified chain below parent proves
// committed, so a validator that missed the QC that committed a height
// still reaches the height a proposal vouches for.
// qc certifies parent.
func (c *Core) commitAncestry(qc *types.QC, parent *types.Block) {
	for y := parent; y != nil && y.QC != nil && y.Height > c.tree.committed.Height+1; y = c.tree.get(y.Parent) {
		if y.QC.Round+1 == y.Round {
			c.tryCommit(qc) // qc certifies y
			return
		}
		qc = y.QC
	}
}

// onExecuted records a result and casts a vote that was waiting for it.
func (c *Core) onExecuted(ref types.StateRef) {
	if c.exec == nil {
		return
	}
	c.exec.record(ref)
	w := c.exec.wait
	if w == nil || w.b.State.Height > c.exec.latest.Height {
		return
	}
	c.exec.wait = nil
	if w.b.Round == c.round {
		c.vote(w.b, w.parent, w.tc)
	}
}

// pruneFloor is the highest committed height the tree may forget: with
// TrackState, the driver's latest executed height, since it still walks
// the committed blocks above it (the transactions they carry are not out
// of its mempool yet).
func (c *Core) pruneFloor() uint64 {
	if c.exec == nil {
		return math.MaxUint64
	}
	return c.exec.latest.Height
}
