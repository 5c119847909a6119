package rpc

import (
	"net/http"
	"testing"
)

// Bad queries on the iDAO routes get a 4xx JSON error naming what was
// wrong; unknown names and ids are 404.
func TestIDAORoutesRejectBadInput(t *testing.T) {
	tn := startNode(t)
	ctx := testCtx(t)
	zero := "0000000000000000000000000000000000000000000000000000000000000000"
	checkBadGets(t, tn, []badGet{
		{"/idaos/nope", http.StatusNotFound, "not_found"},
		{"/idaos/nope/committees/0", http.StatusNotFound, "not_found"},
		{"/idaos/nope/committees/x", http.StatusBadRequest, "bad_rotation"},
		{"/artifacts/xyz", http.StatusBadRequest, "bad_id"},
		{"/artifacts/" + zero, http.StatusNotFound, "not_found"},
		{"/artifacts?limit=0", http.StatusBadRequest, "bad_limit"},
		{"/artifacts?limit=1001", http.StatusBadRequest, "bad_limit"},
		{"/artifacts?status=done", http.StatusBadRequest, "bad_status"},
		{"/artifacts?verdict=maybe", http.StatusBadRequest, "bad_verdict"},
		{"/artifacts?after=12", http.StatusBadRequest, "bad_after"},
		{"/artifacts?idao=nope", http.StatusNotFound, "not_found"},
		{"/blocks/x/events", http.StatusBadRequest, "bad_height"},
		{"/blocks/999999999/events", http.StatusNotFound, "not_found"},
	})
	// The well-formed empty answers.
	for _, p := range []string{"/idaos", "/artifacts", "/artifacts?status=pending&limit=5", "/blocks/0/events"} {
		if _, err := tn.client.Get(ctx, p); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
}
