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
