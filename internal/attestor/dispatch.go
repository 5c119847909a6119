package attestor

import (
	"context"
	"time"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
)

// job is one artifact to verify and vote on in one rotation.
type job struct {
	batch    *idao.BatchKey // a batch job when set
	id       types.Hash
	name     string
	rotation uint64
	seat     uint32
}

// pool is one iDAO's workers. Pools never share workers, so one iDAO's
// backlog cannot delay another's.
type pool struct{ jobs chan job }

func (a *Attestor) pool(ctx context.Context, name string) *pool {
	if p, ok := a.pools[name]; ok {
		return p
	}
	p := &pool{jobs: make(chan job, a.cfg.Queue)}
	for i := 0; i < a.cfg.Workers; i++ {
		a.wg.Go(func() {
			for j := range p.jobs {
				if ctx.Err() == nil { // queued jobs are dropped on stop
					a.work(ctx, j)
				}
			}
		})
	}
	a.pools[name] = p
	return p
}

// dispatch starts a job for every pending artifact this node must vote on
// and has not, and submits certificates whose backup delay has passed.
func (a *Attestor) dispatch(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	st := a.cfg.Chain.IDAOs()
	rot, _ := st.Rotation()
	me, isValidator := a.self(a.cfg.Chain.Staking())
	now := time.Now()
	a.mu.Lock()
	a.gc(st, rot, now)
	if isValidator {
		a.startBatches(ctx, st, rot, me, now)
	}
	keys := make([]tallyKey, 0, len(a.tallies))
	for k, t := range a.tallies {
		if !t.reached.IsZero() && t.submitted.IsZero() || !t.submitted.IsZero() && now.Sub(t.submitted) > resubmitAfter {
			keys = append(keys, k)
		}
	}
	var resend []*sentVote
	for _, sv := range a.sent {
		if now.Sub(sv.at) >= resendVoteEvery {
			sv.at = now
			resend = append(resend, sv)
		}
	}
	a.mu.Unlock()
	for _, sv := range resend {
		a.broadcast(sv.j, sv.payload)
	}
	if isValidator {
		a.contribute(st, me)
	}
	for _, k := range keys {
		a.tryCertify(k)
	}
	a.dispatchDisputes(ctx, now)
}

// resubmitAfter is how long a submitted certificate may take to land
// before it is sent again (its transaction may have been dropped).
const resubmitAfter = 15 * time.Second

// retryAfter spaces out attempts on an artifact whose bytes could not be
// fetched or verified.
const retryAfter = 3 * time.Second

func (a *Attestor) start(ctx context.Context, st *idao.State, id types.Hash, rot uint64, me staking.Address, now time.Time) {
	sk := startKey{artifact: id, rotation: rot}
	if a.started[sk] || now.Before(a.retry[id]) {
		return
	}
	name, _ := st.PendingIn(id)
	c, ok := st.Committee(name, rot)
	if !ok {
		return
	}
	seat := c.Index(me)
	if seat < 0 {
		return
	}
	select {
	case a.pool(ctx, name).jobs <- job{id: id, name: name, rotation: rot, seat: uint32(seat)}:
		a.started[sk] = true
	default: // the pool is full; the next dispatch tries again
	}
}

// gc forgets artifacts that are no longer pending, and rotations that
// can no longer be certified.
func (a *Attestor) gc(st *idao.State, rot uint64, now time.Time) {
	for k := range a.started {
		if _, ok := st.PendingIn(k.artifact); !ok || k.rotation+1 < rot {
			delete(a.started, k)
		}
	}
	for k := range a.sent {
		if _, ok := st.PendingIn(k.artifact); !ok || k.rotation+1 < rot {
			delete(a.sent, k)
		}
	}
	for id := range a.results {
		if _, ok := st.PendingIn(id); !ok {
			delete(a.results, id)
		}
	}
	for id := range a.retry {
		if _, ok := st.PendingIn(id); !ok {
			delete(a.retry, id)
		}
	}
	for id, stop := range a.stopCheck {
		if _, ok := st.PendingIn(id); !ok {
			stop() // settled or expired: its fetch and verifier end
		}
	}
	for r := range a.batches {
		if _, ok := st.Batch(r.key); !ok || r.rotation+1 < rot {
			delete(a.batches, r)
		}
	}
	for k, t := range a.tallies {
		_, pending := st.PendingIn(k.artifact)
		if bk, ok := a.batchKeys[k.artifact]; ok {
			_, pending = st.Batch(bk)
			if !pending && now.Sub(t.born) > 30*time.Second {
				delete(a.batchKeys, k.artifact)
			}
		}
		// Votes may arrive before the artifact commits here, so young
		// tallies of unknown artifacts are kept.
		if (!pending && now.Sub(t.born) > 30*time.Second) || k.rotation+1 < rot {
			a.votes -= len(t.sigs)
			for _, from := range t.early {
				a.dropEarly(from)
			}
			delete(a.tallies, k)
		}
	}
	for sk, k := range a.seatVotes {
		if a.tallies[k] == nil {
			delete(a.seatVotes, sk)
		}
	}
}
