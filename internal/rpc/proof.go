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
	var from uint64
	if f := r.URL.Query().Get("from_epoch"); f != "" {
		if from, err = strconv.ParseUint(f, 10, 64); err != nil {
			writeError(w, http.StatusBadRequest, "bad_from_epoch", "from_epoch must be an epoch number")
			return
		}
	}
	b, err := s.n.ArtifactProof(id, from)
	if errors.Is(err, node.ErrTooManyEpochs) {
		writeError(w, http.StatusBadRequest, "too_many_epochs", err.Error())
		return
	}
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
// node answers that it is not provable yet (for at most wait). The epoch
// chain of a bundle grows with the chain's age, past what one answer
// carries, so the steps are fetched in pages (EpochSteps) and the node
// sends only those after them; the bundle returned is whole.
func (c *Client) ArtifactProof(ctx context.Context, id types.Hash, wait time.Duration) ([]byte, error) {
	var steps []audit.EpochStep
	for {
		page, err := c.EpochSteps(ctx, uint64(len(steps)))
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusServiceUnavailable {
			break // the newest certificate is still being signed: the bundle's wait covers it
		}
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		steps = append(steps, page...)
	}
	deadline := time.Now().Add(wait)
	for {
		data, err := c.raw(ctx, http.MethodGet, fmt.Sprintf("/artifacts/%s/proof?from_epoch=%d", id, len(steps)), nil, nil)
		if err == nil {
			b, err := audit.Decode(data)
			if err != nil {
				return nil, fmt.Errorf("node served a malformed bundle: %w", err)
			}
			// A header of the epoch before the last page's (the epoch
			// changed as the bundle was built) needs fewer steps.
			b.Epochs = append(steps[:min(uint64(len(steps)), b.Header.Epoch)], b.Epochs...)
			return b.Encode(), nil
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

// Bounds of one GET /epochs answer: a page of a chain's epoch steps.
const (
	maxEpochPage      = 1000
	maxEpochPageBytes = 8 << 20
)

// epochSteps serves GET /epochs?from=E: the records and change
// certificates of the epochs after E, oldest first, binary: a count (u32)
// then each step's epoch record and certificate, each with a u32 length.
// An empty page means E is the current epoch.
func (s *Server) epochSteps(w http.ResponseWriter, r *http.Request) {
	from, err := strconv.ParseUint(r.URL.Query().Get("from"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_from", "from must be an epoch number")
		return
	}
	steps, err := s.n.EpochSteps(from, maxEpochPage, maxEpochPageBytes)
	if errors.Is(err, node.ErrRetry) {
		w.Header().Set("Retry-After", "2")
		writeError(w, http.StatusServiceUnavailable, "retry", err.Error())
		return
	}
	if !s.ok(w, err) {
		return
	}
	cw := codec.NewWriter(4096)
	cw.U32(uint32(len(steps)))
	for _, st := range steps {
		cw.VarBytes(st.Epoch)
		cw.VarBytes(st.Cert)
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	w.Write(cw.Bytes())
}

// EpochSteps fetches a page of the epoch steps after epoch from; it
// checks nothing but their framing (audit.Verify checks each step).
func (c *Client) EpochSteps(ctx context.Context, from uint64) ([]audit.EpochStep, error) {
	data, err := c.raw(ctx, http.MethodGet, fmt.Sprintf("/epochs?from=%d", from), nil, nil)
	if err != nil {
		return nil, fmt.Errorf("epochs after %d: %w", from, err)
	}
	out, err := decodeEpochSteps(data)
	if err != nil {
		return nil, fmt.Errorf("epochs after %d: %w", from, err)
	}
	return out, nil
}

// decodeEpochSteps parses a GET /epochs answer: a node's bytes, bounded
// before anything is allocated.
func decodeEpochSteps(data []byte) ([]audit.EpochStep, error) {
	r := codec.NewReader(data)
	n := r.Count(maxEpochPage, 8)
	out := make([]audit.EpochStep, 0, n)
	for i := 0; i < n && r.Err() == nil; i++ {
		out = append(out, audit.EpochStep{Epoch: r.VarBytes(1 << 20), Cert: r.VarBytes(1 << 12)})
	}
	if err := r.Finish(); err != nil {
		return nil, err
	}
	return out, nil
}
