package attestor

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/blobnet"
)

// A fetch for an unavailability dispute is retried until it succeeds, the
// time bound passes, or half the dispute's window (in blocks) has passed,
// whichever comes first: on a fast chain the window can be shorter than the
// time bound, and a ruling after the deadline would not count.
func TestFetchWithinStops(t *testing.T) {
	defer func(gap time.Duration) { fetchRetryGap = gap }(fetchRetryGap)
	fetchRetryGap = time.Millisecond
	missing := errors.New("no peer has the blob")
	cases := []struct {
		name      string
		okOnTry   int      // the fetch succeeds on this try; 0 never
		heights   []uint64 // the chain's height at each check, the last repeating; nil without a height source
		limit     time.Duration
		wantErr   bool
		wantTries int // 0: any number
	}{
		{"found at once", 1, []uint64{10}, time.Minute, false, 1},
		{"found on a retry", 2, []uint64{10}, time.Minute, false, 2},
		{"half the window passed", 0, []uint64{10, 49, 50}, time.Minute, true, 3},
		{"time bound first", 0, nil, 50 * time.Millisecond, true, 0}, // as many tries as fit
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var tries atomic.Int32
			a := &Attestor{cfg: Config{Fetch: func(context.Context, blobnet.Want) error {
				if n := tries.Add(1); c.okOnTry > 0 && int(n) >= c.okOnTry {
					return nil
				}
				return missing
			}}}
			if c.heights != nil {
				a.cfg.Height = func() uint64 {
					i := min(int(tries.Load())-1, len(c.heights)-1)
					return c.heights[i]
				}
			}
			err := a.fetchWithin(context.Background(), blobnet.Want{}, c.limit, 50)
			if (err != nil) != c.wantErr || (err != nil && !errors.Is(err, missing)) {
				t.Fatalf("fetchWithin = %v, want error %v", err, c.wantErr)
			}
			if got := int(tries.Load()); c.wantTries > 0 && got != c.wantTries {
				t.Fatalf("%d tries, want %d", got, c.wantTries)
			}
		})
	}
}
