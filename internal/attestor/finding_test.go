package attestor

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/blobnet"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/types"
)

// Only a fetch that found no peer with the bytes, or ran out of time, is
// a finding of unavailability; this node's own failure (a full disk) is
// no finding at all, where it made the validator sign for the challenger
// and helped slash an honest certificate's signers.
func TestOnlyUnavailabilityIsAFinding(t *testing.T) {
	art := &idao.Artifact{Submit: idao.Submit{Root: types.Hash{1}, Size: 1000, ChunkSize: 4096}}
	for _, c := range []struct {
		name            string
		err             error
		wantUnavailable bool
	}{
		{"no peer has it", fmt.Errorf("blob: %w", blobnet.ErrUnavailable), true},
		{"time ran out", context.DeadlineExceeded, true},
		{"local disk full", fmt.Errorf("storing chunk 3: %w", blob.ErrFull), false},
		{"held whole with another shape", fmt.Errorf("blob: %w", blobnet.ErrWrongSize), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := &Attestor{cfg: Config{Log: slog.New(slog.DiscardHandler), UnavailableAfter: 50 * time.Millisecond,
				Fetch: func(context.Context, blobnet.Want) error { return c.err }}}
			for _, claim := range []idao.Claim{idao.ClaimUnavailable, idao.ClaimWrongVerdict} {
				f := a.find(t.Context(), &idao.Dispute{Claim: claim, Opened: 1, Deadline: 1000}, art)
				if f.Unavailable != c.wantUnavailable || f.Result != nil {
					t.Fatalf("claim %v: finding %+v, want unavailable %v and no result", claim, f, c.wantUnavailable)
				}
			}
		})
	}
}

// The limit running out in the middle of an attempt, after attempts that
// failed on this node's own disk, is still this node's failure, not a
// finding that the network lacks the bytes.
func TestFullDiskWithTheLimitMidAttempt(t *testing.T) {
	defer func(gap time.Duration) { fetchRetryGap = gap }(fetchRetryGap)
	fetchRetryGap = 5 * time.Millisecond
	art := &idao.Artifact{Submit: idao.Submit{Root: types.Hash{1}, Size: 1000, ChunkSize: 4096}}
	a := &Attestor{cfg: Config{Log: slog.New(slog.DiscardHandler), UnavailableAfter: 200 * time.Millisecond,
		Fetch: func(ctx context.Context, _ blobnet.Want) error {
			select { // asking peers, who answer
			case <-time.After(30 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
			return fmt.Errorf("storing chunk 0: %w", blob.ErrFull)
		}}}
	for i := range 5 {
		if f := a.find(t.Context(), &idao.Dispute{Claim: idao.ClaimUnavailable, Opened: 1, Deadline: 1000}, art); f.Unavailable {
			t.Fatalf("run %d: a node whose every fetch failed on its own full disk found the artifact unavailable", i)
		}
	}
}
