package rpc

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/lazchain/lazchain/internal/audit"
	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/node"
	"github.com/lazchain/lazchain/internal/types"
)

// artifactProof serves GET /artifacts/{id}/proof: the audit bundle, in
// its binary format (docs/audit.md).
func (s *Server) artifactProof(w http.ResponseWriter, r *http.Request) {
	id, err := parseHash(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_id", "artifact id must be 64 hex characters")
		return
	}
	b, err := s.n.ArtifactProof(id)
	if errors.Is(err, node.ErrRetry) {
		w.Header().Set("Retry-After", "2")
		writeError(w, http.StatusServiceUnavailable, "retry", err.Error())
		return
	}
	if !s.ok(w, err) {
		return
	}
	w.Header().Set("Content-Type", "application/vnd.lazchain.audit-bundle")
	w.WriteHeader(http.StatusOK)
	w.Write(b.Encode())
}

// ArtifactProof fetches an artifact's audit bundle, retrying while the
// node answers that it is not provable yet (for at most wait).
func (c *Client) ArtifactProof(ctx context.Context, id types.Hash, wait time.Duration) ([]byte, error) {
	deadline := time.Now().Add(wait)
	for {
		data, err := c.raw(ctx, http.MethodGet, "/artifacts/"+id.String()+"/proof", nil, nil)
		if err == nil {
			if _, err := audit.Decode(data); err != nil {
				return nil, fmt.Errorf("node served a malformed bundle: %w", err)
			}
			return data, nil
		}
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			return nil, fmt.Errorf("proof of %s: %w", id.Short(), err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// maxHeaders bounds one GET /headers answer.
const maxHeaders = 1000

// headers serves GET /headers?from=H&limit=N: committed headers from H
// on, binary: a count (u32) then each header's encoding with a u32 length.
func (s *Server) headers(w http.ResponseWriter, r *http.Request) {
	from, err := strconv.ParseUint(r.URL.Query().Get("from"), 10, 64)
	if err != nil || from == 0 {
		writeError(w, http.StatusBadRequest, "bad_from", "from must be a height of at least 1")
		return
	}
	limit := maxHeaders
	if l := r.URL.Query().Get("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil || limit < 1 || limit > maxHeaders {
			writeError(w, http.StatusBadRequest, "bad_limit", fmt.Sprintf("limit must be 1..%d", maxHeaders))
			return
		}
	}
	tip := s.n.Status().Height
	cw := codec.NewWriter(256 * limit)
	var encs [][]byte
	for h := from; h <= tip && len(encs) < limit; h++ {
		b, err := s.n.BlockAt(h)
		if err != nil {
			break
		}
		encs = append(encs, types.EncodeHeader(b.Header()))
	}
	cw.U32(uint32(len(encs)))
	for _, e := range encs {
		cw.VarBytes(e)
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	w.Write(cw.Bytes())
}

// Headers fetches up to limit committed headers from height from on.
func (c *Client) Headers(ctx context.Context, from uint64, limit int) ([]*types.Header, error) {
	data, err := c.raw(ctx, http.MethodGet, fmt.Sprintf("/headers?from=%d&limit=%d", from, limit), nil, nil)
	if err != nil {
		return nil, fmt.Errorf("headers from %d: %w", from, err)
	}
	r := codec.NewReader(data)
	n := r.Count(maxHeaders, 4)
	out := make([]*types.Header, 0, n)
	for i := 0; i < n && r.Err() == nil; i++ {
		h, err := types.DecodeHeader(r.VarBytes(1 << 14))
		if err != nil {
			return nil, fmt.Errorf("header %d: %w", from+uint64(i), err)
		}
		out = append(out, h)
	}
	if err := r.Finish(); err != nil {
		return nil, fmt.Errorf("headers from %d: %w", from, err)
	}
	return out, nil
}
