package attestor

import (
	"context"
	"sync"
	"time"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/verify"
)

// batchRun is one batch in one rotation.
type batchRun struct {
	key      idao.BatchKey
	rotation uint64
}

// fallbackAfter is how long after its batch vote a member waits before it
// also votes on each still-pending artifact of the batch alone: a batch
// gathers no quorum when members disagree on any entry or one could not
// fetch one, and single votes settle the rest.
const fallbackAfter = 6 * time.Second

// startBatches starts a batch job for every pending batch whose committee
// includes this member, and single-artifact jobs for the entries of
// batches that did not settle in time. Called with a.mu held.
func (a *Attestor) startBatches(ctx context.Context, st *idao.State, rot uint64, me staking.Address, now time.Time) {
	for _, k := range st.Batches() {
		c, ok := st.Committee(k.IDAO, rot)
		if !ok || c.Index(me) < 0 {
			continue
		}
		run := batchRun{key: k, rotation: rot}
		at, tried := a.batches[run]
		if !tried {
			select {
			case a.pool(ctx, k.IDAO).jobs <- job{batch: &k, name: k.IDAO, rotation: rot, seat: uint32(c.Index(me))}:
				a.batches[run] = now.Add(time.Hour) // in progress; set when the job ends
			default:
			}
			continue
		}
		if now.Sub(at) < fallbackAfter {
			continue
		}
		ids, _ := st.Batch(k)
		for _, id := range ids {
			if _, pending := st.PendingIn(id); pending {
				a.start(ctx, st, id, rot, me, now)
			}
		}
	}
}

// workBatch verifies every artifact of a batch and casts one vote over
// all the verdicts.
func (a *Attestor) workBatch(ctx context.Context, j job) {
	run := batchRun{key: *j.batch, rotation: j.rotation}
	ids, ok := a.cfg.Chain.IDAOs().Batch(*j.batch)
	if !ok {
		return
	}
	results := make([]verify.Result, len(ids))
	okAll := true
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, a.cfg.Workers)
	for i, id := range ids {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			res, ok := a.result(ctx, job{id: id, name: j.name, rotation: j.rotation})
			mu.Lock()
			results[i], okAll = res, okAll && ok
			mu.Unlock()
		}()
	}
	wg.Wait()
	if !okAll {
		// Some entry has no verdict here: vote on the others alone, now.
		a.mu.Lock()
		a.batches[run] = time.Now().Add(-fallbackAfter)
		a.mu.Unlock()
		return
	}
	entries := make([]idao.Entry, len(ids))
	for i, r := range results {
		entries[i] = idao.Entry{Verdict: r.Valid, Digest: r.Digest}
		if !r.Valid {
			entries[i].Reason = r.Reason
		}
	}
	_, root := idao.BatchRoot(ids, entries)
	msg := idao.BatchVoteBytes(a.cfg.ChainID, *j.batch, j.rotation, len(ids), root)
	v := Vote{Batch: j.batch, Rotation: j.rotation, Verdict: true, Digest: root, Count: uint32(len(ids)), Seat: j.seat, Sig: a.cfg.Key.Sign(msg)}
	a.Stats.Votes.Add(1)
	a.broadcast(j, v.Encode())
	a.mu.Lock()
	a.batches[run] = time.Now()
	a.mu.Unlock()
	a.addVoteWith(v, entries)
}
