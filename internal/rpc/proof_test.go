package rpc

import (
	"net/http"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/types"
)

// The audit routes refuse malformed input with a 4xx JSON error, and the
// header route serves headers that chain to each other.
func TestAuditRoutes(t *testing.T) {
	tn := startNode(t)
	ctx := testCtx(t)
	zero := "0000000000000000000000000000000000000000000000000000000000000000"
	checkBadGets(t, tn, []badGet{
		{"/artifacts/xyz/proof", http.StatusBadRequest, "bad_id"},
		{"/artifacts/" + zero + "/proof", http.StatusNotFound, "not_found"},
		{"/headers", http.StatusBadRequest, "bad_from"},
		{"/headers?from=0", http.StatusBadRequest, "bad_from"},
		{"/headers?from=x", http.StatusBadRequest, "bad_from"},
		{"/headers?from=1&limit=0", http.StatusBadRequest, "bad_limit"},
		{"/headers?from=1&limit=1001", http.StatusBadRequest, "bad_limit"},
	})
	if _, err := tn.client.ArtifactProof(ctx, types.Hash{}, time.Second); err == nil {
		t.Fatal("proof of an unknown artifact succeeded")
	}
	waitFor(t, "height 4", 20*time.Second, func() bool { st, err := tn.client.Status(ctx); return err == nil && st.Height >= 4 })
	hs, err := tn.client.Headers(ctx, 1, 3)
	if err != nil || len(hs) != 3 {
		t.Fatalf("headers: %d, %v", len(hs), err)
	}
	for i := 1; i < len(hs); i++ {
		if hs[i].Parent != hs[i-1].ID() || hs[i].QC.BlockID != hs[i-1].ID() {
			t.Fatalf("header %d does not extend header %d", hs[i].Height, hs[i-1].Height)
		}
	}
	if far, err := tn.client.Headers(ctx, 1<<40, 10); err != nil || len(far) != 0 {
		t.Fatalf("headers beyond the tip: %d, %v", len(far), err)
	}
}
