package consensus

import "github.com/lazchain/lazchain/internal/types"

// enterRound moves to round r if it is ahead. byTimeout says whether the
// previous round ended in a TC (tc), which grows the back-off; a QC resets it.
func (c *Core) enterRound(r uint64, tc *types.TC, byTimeout bool) {
	if r <= c.round {
		return
	}
	c.round = r
	c.lastTC = tc
	if byTimeout {
		c.backoff++
	} else {
		c.backoff = 0
	}
	c.timerTicks = c.roundTimeout()
	c.ready.Timer = &Timer{Round: r, Ticks: c.timerTicks}
	c.votes.prune(r)
	c.timeouts.prune(r)
	c.retryFetches(false)
	c.maybePropose()
}

// roundTimeout is BaseTimeout doubled once per consecutive timed-out round,
// capped at MaxTimeout.
func (c *Core) roundTimeout() uint64 {
	t := c.cfg.BaseTimeout
	for i := uint(0); i < c.backoff && t < c.cfg.MaxTimeout; i++ {
		t *= 2
	}
	return min(t, c.cfg.MaxTimeout)
}

// onTimer gives up on the current round: sign and broadcast a timeout, and
// re-arm the timer so the timeout is re-sent until the round ends. Re-sending
// is what restores liveness after a partition heals and lost messages.
func (c *Core) onTimer(round uint64) {
	if round != c.round {
		return
	}
	c.timerTicks = min(c.timerTicks*2, c.cfg.MaxTimeout)
	c.ready.Timer = &Timer{Round: round, Ticks: c.timerTicks}
	c.localTimeout()
	if c.commitQC != nil && c.commitQC.Round < c.highQC.Round {
		// Every peer checks it as it checks an epoch's last QC; one who
		// has it already finds it in its cache of checked QCs.
		c.send(Broadcast, &types.EpochProof{QC: c.commitQC})
	}
	c.retryFetches(true)
}

func (c *Core) localTimeout() {
	if !c.isValidator() {
		return
	}
	t, err := c.signer.Timeout(c.set.Epoch, c.round, c.highQC, c.lastTC)
	if err != nil {
		return // the signer refused: this round is not ours to time out
	}
	c.stats.Timeouts++
	c.send(Broadcast, t)
	if rt := c.timeouts.rounds[t.Round]; rt == nil || rt.sigs[uint32(c.cfg.Self)] == nil {
		c.addTimeout(c.cfg.Self, t)
	}
}

// processQC adopts a verified QC: raise the high QC, commit what it proves,
// and move to the next round.
func (c *Core) processQC(qc *types.QC) {
	if qc.Round > c.highQC.Round {
		c.highQC = qc
		c.ready.HighQC = qc
	}
	c.tryCommit(qc)
	c.enterRound(qc.Round+1, nil, false)
}

// processTC moves past a timed-out round.
func (c *Core) processTC(tc *types.TC) {
	if tc.Round+1 < c.round {
		// Too old to move us, and verifyTC skips checking such a TC: it
		// must not become the high TC the driver persists.
		return
	}
	if c.highTC == nil || tc.Round > c.highTC.Round {
		c.highTC = tc
		c.ready.HighTC = tc
	}
	c.enterRound(tc.Round+1, tc, true)
}

// tryCommit applies the two-chain rule to a QC for block b: if b's own QC
// is for the round just before b, b's parent is committed.
func (c *Core) tryCommit(qc *types.QC) {
	if qc.Round <= c.tree.committed.Round {
		// It certifies a committed block or a dead fork: nothing to commit,
		// and nothing to fetch even if the block was pruned from memory.
		return
	}
	b := c.tree.get(qc.BlockID)
	if b == nil {
		c.fetch(qc.BlockID, -1, c.aboveRound(qc.Round))
		return
	}
	if b.QC == nil || b.QC.Round+1 != b.Round {
		return
	}
	head := c.tree.get(b.Parent)
	if head == nil {
		c.fetchBelow(b.Parent, -1, b.Height-1)
		return
	}
	if head.Height <= c.tree.committed.Height {
		return
	}
	chain, missing, ok := c.tree.path(head)
	if !ok {
		if !missing.IsZero() {
			c.fetch(missing, -1, c.aboveHeight(head.Height))
		}
		return
	}
	for len(chain) > 0 && c.cfg.beyondEnd(chain[len(chain)-1].Height) {
		chain = chain[:len(chain)-1] // the next epoch starts from EndHeight
	}
	if len(chain) == 0 {
		return
	}
	c.tree.commit(chain, c.cfg.KeepCommitted, c.pruneFloor())
	for _, b := range chain {
		c.rep.observe(b, c.round)
	}
	c.forgetBelow(head)
	c.ready.Committed = append(c.ready.Committed, chain...)
	c.ready.CommitQC = qc
	c.commitQC = qc
	c.stats.Commits += uint64(len(chain))
}

// forgetBelow drops caches and parked work that a commit made moot.
func (c *Core) forgetBelow(head *types.Block) {
	for id, qc := range c.verified {
		if qc.Round < head.Round {
			delete(c.verified, id)
		}
	}
	for _, w := range c.stash {
		if b := w.fetched; b.Height <= head.Height || b.QC.Round < head.Round {
			c.dropStashed(w)
		}
	}
	for parent, ws := range c.pending {
		keep := ws[:0]
		for _, w := range ws {
			// Only a block whose parent is head or above it can still
			// commit, and such a parent is certified at head's round or
			// later: a parked block claiming a height above head but
			// certifying an older round is on a dead fork.
			if b := w.block(); b.Height > head.Height && b.QC != nil && b.QC.Round >= head.Round {
				keep = append(keep, w)
			} else {
				c.parkedBytes -= w.size
			}
		}
		if len(keep) == 0 {
			delete(c.pending, parent)
		} else {
			c.pending[parent] = keep
		}
	}
}
