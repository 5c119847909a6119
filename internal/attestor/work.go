package attestor

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/lazchain/lazchain/internal/blobnet"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/verify"
)

// verifyTimeout bounds one verification; the wasm sandbox's own limits
// are far tighter, this only guards against a verifier bug.
const verifyTimeout = 10 * time.Minute

// largeArtifact is the size from which each verification is logged at
// info level, with its fetch and verify times.
const largeArtifact = 64 << 20

// work verifies one artifact (once per artifact, whatever the rotation)
// and votes, or runs a batch job.
func (a *Attestor) work(ctx context.Context, j job) {
	if j.batch != nil {
		a.workBatch(ctx, j)
		return
	}
	if _, pending := a.cfg.Chain.IDAOs().PendingIn(j.id); !pending {
		return // settled or expired while the job was queued
	}
	res, ok := a.result(ctx, j)
	if !ok {
		a.mu.Lock()
		delete(a.started, startKey{artifact: j.id, rotation: j.rotation})
		a.retry[j.id] = time.Now().Add(retryAfter)
		a.mu.Unlock()
		return
	}
	msg := idao.VoteBytes(a.cfg.ChainID, j.name, j.id, res.Valid, res.Digest, j.rotation)
	v := Vote{Artifact: j.id, Rotation: j.rotation, Verdict: res.Valid, Digest: res.Digest, Seat: j.seat, Sig: a.cfg.Key.Sign(msg), Reason: res.Reason}
	a.Stats.Votes.Add(1)
	payload := v.Encode()
	a.broadcast(j, payload)
	a.mu.Lock()
	a.sent[startKey{artifact: j.id, rotation: j.rotation}] = &sentVote{j: j, payload: payload, at: time.Now()}
	a.mu.Unlock()
	a.addVote(v)
}

// result returns the verdict this member votes on the artifact, verifying
// it once: the verifier's, unless a fault replaces it. Jobs of a new
// rotation or a fallback can ask while a check is still running (a large
// artifact takes a while); they wait for it rather than start another.
func (a *Attestor) result(ctx context.Context, j job) (verify.Result, bool) {
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	a.mu.Lock()
	res, done := a.results[j.id]
	running, busy := a.checking[j.id]
	if !done && !busy {
		a.checking[j.id] = make(chan struct{})
		a.stopCheck[j.id] = stop
	}
	a.mu.Unlock()
	switch {
	case done:
		return res, true
	case busy:
		return a.awaitCheck(ctx, j.id, running)
	}
	res, ok := a.conduct.vote(a.check(cctx, j))
	a.mu.Lock()
	if ok {
		a.results[j.id] = res
	}
	close(a.checking[j.id])
	delete(a.checking, j.id)
	delete(a.stopCheck, j.id)
	a.mu.Unlock()
	return res, ok
}

// awaitCheck waits for another job's check of id and takes its verdict;
// ok is false if that check reached none (the artifact is retried later).
func (a *Attestor) awaitCheck(ctx context.Context, id [32]byte, running <-chan struct{}) (verify.Result, bool) {
	select {
	case <-running:
	case <-ctx.Done():
		return verify.Result{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	res, ok := a.results[id]
	return res, ok
}

// check fetches the artifact's bytes and runs its verifier. ok is false
// when no verdict was reached; the member then does not vote. The verifier
// reads the chunks as the fetch stores them, so a large artifact costs
// about the longer of the two rather than their sum; the vote still waits
// for the whole fetch, because it promises the bytes are available.
func (a *Attestor) check(ctx context.Context, j job) (verify.Result, bool) {
	art, err := a.cfg.Chain.Artifact(j.id)
	if err != nil {
		return verify.Result{}, false
	}
	sub := art.Submit
	want := blobnet.Want{Root: sub.Root, Size: int64(sub.Size), ChunkSize: int(sub.ChunkSize)}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	fetched := make(chan error, 1)
	go func() {
		err := a.cfg.Fetch(fctx, want)
		if err != nil {
			cancel() // the verifier stops waiting for chunks that will not come
		}
		fetched <- err
	}()
	res, verr := a.runVerifier(fctx, sub, func() (io.Reader, error) {
		return a.cfg.Blobs.Follow(fctx, want.Root, want.Size, want.ChunkSize), nil
	})
	if verr != nil {
		cancel() // no verdict either way: the fetch need not go on
	}
	verified := time.Since(start)
	if err := <-fetched; err != nil {
		a.Stats.FetchFailures.Add(1)
		a.cfg.Log.Warn("artifact bytes unavailable; not voting", "artifact", short(j.id), "idao", j.name, "err", err)
		return verify.Result{}, false
	}
	if verr != nil {
		a.cfg.Log.Warn("verifier reached no verdict; not voting", "artifact", short(j.id), "err", verr)
		return verify.Result{}, false
	}
	a.Stats.Verified.Add(1)
	if !res.Valid {
		a.Stats.Invalid.Add(1)
	}
	level := slog.LevelDebug
	if sub.Size >= largeArtifact {
		level = slog.LevelInfo // rare and slow: worth a line each
	}
	a.cfg.Log.Log(ctx, level, "artifact verified", "artifact", short(j.id), "idao", j.name, "valid", res.Valid, "reason", res.Reason,
		"bytes", sub.Size, "verify", verified, "fetch_and_verify", time.Since(start))
	return res, true
}

// completeBlob reads a blob that is already whole in the store.
func (a *Attestor) completeBlob(root [32]byte) func() (io.Reader, error) {
	return func() (io.Reader, error) {
		r, _, err := a.cfg.Blobs.Reader(root)
		return r, err
	}
}

// runVerifier runs the artifact's verifier (Config.Verify) over the bytes
// that open returns, each time the verifier opens them.
func (a *Attestor) runVerifier(ctx context.Context, sub idao.Submit, open func() (io.Reader, error)) (verify.Result, error) {
	in := verify.Input{Kind: sub.Kind, Format: sub.Format, Schema: sub.Schema, Claim: sub.Claim, Size: sub.Size,
		Open: func() (io.ReadCloser, error) {
			r, err := open()
			if err != nil {
				return nil, err
			}
			return io.NopCloser(r), nil
		}}
	vctx, cancel := context.WithTimeout(ctx, verifyTimeout)
	defer cancel()
	return a.cfg.Verify(vctx, in)
}

// broadcast sends a vote to the other members of the job's committee.
func (a *Attestor) broadcast(j job, payload []byte) {
	c, ok := a.cfg.Chain.IDAOs().Committee(j.name, j.rotation)
	if !ok {
		return
	}
	st := a.cfg.Chain.Staking()
	for i, s := range c.Seats {
		if uint32(i) == j.seat {
			continue
		}
		if v, ok := st.Validator(s.Operator); ok {
			a.cfg.Send(p2p.NodeID(v.NodeID), payload)
		}
	}
}

func short(h [32]byte) string { return p2p.NodeID(h).Short() }
