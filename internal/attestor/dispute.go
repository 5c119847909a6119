package attestor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lazchain/lazchain/internal/blobnet"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
)

// Disputes escalate to the whole active set: every active validator
// fetches the disputed artifact, re-runs its verifier, decides a side
// (decide), signs it and sends the vote to the others; the ruling
// transaction is then aggregated like a certificate (ruling.go). Nothing
// is persisted: after a restart the open disputes are found again in the
// state and ruled on again, which gives the same vote.

// disputeRun is this validator's work on one open dispute.
type disputeRun struct {
	busy    bool               // a job is queued or running
	cancel  context.CancelFunc // ends the job when the dispute closes
	decided bool               // step and choice are final
	step    step
	choice  choice
	retry   time.Time // no job before
	vote    []byte    // this validator's encoded vote for epoch
	epoch   uint64
	sent    time.Time
}

// rulingView is what a ruling vote is checked against on a peer's reader
// goroutine, refreshed at every dispatch.
type rulingView struct {
	epoch uint64
	set   []staking.Member // the epoch's active set; nil before the first dispatch
	open  map[types.Hash]bool
}

const (
	// disputeRetry spaces out attempts at a dispute whose bytes could not
	// be fetched or verified yet.
	disputeRetry = 10 * time.Second
	// resendRulingEvery is how often a validator sends its vote again while
	// the dispute is open: votes are best effort, and a peer that
	// restarted has lost the ones it had.
	resendRulingEvery = 10 * time.Second
)

// fetchRetryGap spaces out fetch attempts within the bound of an
// unavailability claim (a variable so tests need not wait).
var fetchRetryGap = 2 * time.Second

// disputeJob is one attempt at ruling on a dispute.
type disputeJob struct {
	ctx context.Context
	id  types.Hash
}

func (a *Attestor) disputeWorker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-a.disputeJobs:
			if ctx.Err() == nil { // select may pick a job after the stop
				a.workDispute(j.ctx, j.id)
			}
		}
	}
}

// dispatchDisputes starts a job for every open dispute this validator has
// not decided yet (at most MaxDisputes at once), signs its decided votes
// again when the epoch changed, resends them now and then, and looks at
// the ruling tallies whose turn may have come.
func (a *Attestor) dispatchDisputes(ctx context.Context, now time.Time) {
	open := a.openDisputes()
	stk := a.cfg.Chain.Staking()
	epoch, set := stk.Epoch(), stk.Active()
	me := seatIn(set, a.pk)
	openSet := make(map[types.Hash]bool, len(open))
	for _, o := range open {
		openSet[o.ID] = true
	}
	var sign []types.Hash
	var resend [][]byte
	a.mu.Lock()
	a.view = rulingView{epoch: epoch, set: set, open: openSet}
	a.gcDisputes(openSet, epoch, now)
	if me >= 0 {
		for _, o := range open {
			r := a.runs[o.ID]
			if r == nil {
				r = &disputeRun{}
				a.runs[o.ID] = r
			}
			switch {
			case !r.decided:
				a.startDispute(ctx, o.ID, r, now)
			case r.step != stepSign:
			case r.vote == nil || r.epoch != epoch:
				sign = append(sign, o.ID)
			case now.Sub(r.sent) >= resendRulingEvery:
				resend = append(resend, r.vote)
				r.sent = now
			}
		}
	}
	due := a.rulings.ready(now)
	a.mu.Unlock()
	for _, id := range sign {
		a.castRuling(id, epoch, set, me)
	}
	for _, p := range resend {
		a.sendToSet(set, me, p)
	}
	for _, k := range due {
		a.tryRule(k)
	}
}

// startDispute queues a job for r unless one is running, it is too soon
// or MaxDisputes are in progress. Called with a.mu held.
func (a *Attestor) startDispute(ctx context.Context, id types.Hash, r *disputeRun, now time.Time) {
	if r.busy || now.Before(r.retry) || a.disputesBusy >= a.cfg.MaxDisputes {
		return
	}
	jctx, cancel := context.WithCancel(ctx)
	select {
	case a.disputeJobs <- disputeJob{ctx: jctx, id: id}:
		r.busy, r.cancel = true, cancel
		a.disputesBusy++
	default:
		cancel()
	}
}

// gcDisputes forgets disputes that closed, ending their jobs, and drops
// stale ruling tallies. Called with a.mu held.
func (a *Attestor) gcDisputes(open map[types.Hash]bool, epoch uint64, now time.Time) {
	for id, r := range a.runs {
		if !open[id] {
			if r.cancel != nil {
				r.cancel()
			}
			delete(a.runs, id)
		}
	}
	a.rulings.gc(open, epoch, now)
}

// workDispute decides this validator's side in one dispute and, if it
// signs, votes.
func (a *Attestor) workDispute(ctx context.Context, id types.Hash) {
	var c choice
	s := stepRetry
	defer func() {
		a.mu.Lock()
		a.disputesBusy--
		if r := a.runs[id]; r != nil {
			r.busy, r.cancel = false, nil
			if s == stepRetry {
				r.retry = time.Now().Add(disputeRetry)
			} else {
				r.decided, r.step, r.choice = true, s, c
			}
		}
		a.mu.Unlock()
		if s == stepSign {
			stk := a.cfg.Chain.Staking()
			set := stk.Active()
			a.castRuling(id, stk.Epoch(), set, seatIn(set, a.pk))
		}
	}()
	dp, err := a.cfg.Chain.Dispute(id)
	if err != nil || dp.Status != idao.DisputeOpen {
		return
	}
	art, err := a.cfg.Chain.Artifact(dp.Artifact)
	if err != nil {
		return
	}
	c, s = a.conduct.rule(dp, art, func() finding { return a.find(ctx, dp, art) })
	if ctx.Err() != nil {
		s = stepRetry // the dispute closed, or the node is stopping, while this ran
	}
	switch s {
	case stepSign:
		a.cfg.Log.Info("ruling on dispute", "dispute", short(id), "artifact", short(dp.Artifact), "claim", dp.Claim,
			"for_challenger", c.ForChallenger, "verdict", c.Verdict, "digest", short(c.Digest), "fault", string(a.cfg.Fault))
	case stepAbstain:
		a.cfg.Log.Warn("no ruling fits this validator's result; not signing", "dispute", short(id), "claim", dp.Claim,
			"cert_verdict", dp.CertVerdict, "cert_digest", short(dp.CertDigest))
	}
}

// find fetches the disputed artifact's bytes and runs its verifier, as a
// committee member would before voting. For an unavailability claim the
// fetch is retried until Config.UnavailableAfter has passed; failing that
// long is the finding.
func (a *Attestor) find(ctx context.Context, dp *idao.Dispute, art *idao.Artifact) finding {
	sub := art.Submit
	w := blobnet.Want{Root: sub.Root, Size: int64(sub.Size), ChunkSize: int(sub.ChunkSize)}
	var err error
	if dp.Claim == idao.ClaimUnavailable {
		err = a.fetchWithin(ctx, w, a.cfg.UnavailableAfter, dp.Opened+(dp.Deadline-min(dp.Deadline, dp.Opened))/2)
	} else {
		err = a.cfg.Fetch(ctx, w)
	}
	if ctx.Err() != nil {
		return finding{} // no finding: being stopped says nothing about the data
	}
	if err != nil {
		a.Stats.FetchFailures.Add(1)
		if !unavailable(err) {
			// This node's own trouble (a full disk, say) says nothing about
			// whether the network holds the bytes: no finding, no vote.
			a.cfg.Log.Warn("could not fetch a disputed artifact's bytes here; not voting", "dispute", short(dp.ID), "claim", dp.Claim, "err", err)
			return finding{}
		}
		a.cfg.Log.Warn("disputed artifact's bytes unavailable", "dispute", short(dp.ID), "claim", dp.Claim, "err", err)
		return finding{Unavailable: true}
	}
	res, err := a.runVerifier(ctx, sub, a.completeBlob(sub.Root))
	if err != nil {
		a.cfg.Log.Warn("verifier reached no verdict on a disputed artifact", "dispute", short(dp.ID), "err", err)
		return finding{}
	}
	return finding{Result: &res}
}

// fetchWithin retries a fetch until it succeeds, limit has passed, or the
// chain has reached height stopAt (when the attestor knows the height).
func (a *Attestor) fetchWithin(ctx context.Context, w blobnet.Want, limit time.Duration, stopAt uint64) error {
	fctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	// The last attempt that failed on this node's own account: the limit
	// running out in the middle of the next one must not turn it into a
	// finding that the network lacks the bytes.
	var local error
	for {
		err := a.cfg.Fetch(fctx, w)
		if err == nil {
			return nil
		}
		switch {
		case !unavailable(err):
			local = err
		case !errors.Is(err, context.DeadlineExceeded):
			local = nil // a clean answer that the bytes are not out there
		}
		if local != nil && errors.Is(err, context.DeadlineExceeded) {
			err = local
		}
		if a.cfg.Height != nil && a.cfg.Height() >= stopAt {
			return fmt.Errorf("half the dispute window passed (height %d): %w", stopAt, err)
		}
		select {
		case <-fctx.Done():
			return err
		case <-time.After(fetchRetryGap):
		}
	}
}

// seatIn returns the index of the member with BLS key pk in set, or -1.
func seatIn(set []staking.Member, pk []byte) int {
	for i, m := range set {
		if string(m.BLSKey) == string(pk) {
			return i
		}
	}
	return -1
}

// unavailable reports whether a failed fetch is a finding that the
// network does not serve the bytes: no peer had them, the time to find
// them ran out, or the root is held whole with another shape (complete
// chunks prove it, so the shape the artifact names has no bytes).
// Anything else is this node's own failure.
func unavailable(err error) bool {
	return errors.Is(err, blobnet.ErrUnavailable) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, blobnet.ErrWrongSize)
}
