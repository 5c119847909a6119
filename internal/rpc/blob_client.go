package rpc

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"

	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/merkle"
)

// Blob calls GET /blobs/{root}.
func (c *Client) Blob(ctx context.Context, root blob.Hash) (BlobView, error) {
	var v BlobView
	return v, c.do(ctx, http.MethodGet, "/blobs/"+hex.EncodeToString(root[:]), "", nil, &v)
}

// Manifest fetches and checks a blob's manifest.
func (c *Client) Manifest(ctx context.Context, root blob.Hash) (*blob.Manifest, error) {
	data, err := c.raw(ctx, http.MethodGet, "/blobs/"+hex.EncodeToString(root[:])+"?format=manifest", nil, nil)
	if err != nil {
		return nil, err
	}
	m, err := blob.DecodeManifest(data)
	if err != nil {
		return nil, err
	}
	if m.Root != root {
		return nil, fmt.Errorf("node sent the manifest of %x for %x: %w", m.Root[:4], root[:4], blob.ErrBadManifest)
	}
	return m, nil
}

// PutManifest announces a blob: PUT /blobs/{root}/manifest.
func (c *Client) PutManifest(ctx context.Context, m *blob.Manifest) (BlobView, error) {
	var v BlobView
	err := c.do(ctx, http.MethodPut, "/blobs/"+hex.EncodeToString(m.Root[:])+"/manifest", "application/octet-stream", m.Encode(), &v)
	return v, err
}

// PutChunk uploads chunk i: PUT /blobs/{root}/chunks/{i}.
func (c *Client) PutChunk(ctx context.Context, root blob.Hash, i uint64, data []byte) error {
	return c.do(ctx, http.MethodPut, "/blobs/"+hex.EncodeToString(root[:])+"/chunks/"+strconv.FormatUint(i, 10), "application/octet-stream", data, nil)
}

// Chunk downloads chunk i and checks it against the manifest and the root;
// a node cannot hand over bytes that are not the blob's.
func (c *Client) Chunk(ctx context.Context, m *blob.Manifest, i uint64) ([]byte, error) {
	var proofHdr string
	data, err := c.raw(ctx, http.MethodGet, "/blobs/"+hex.EncodeToString(m.Root[:])+"/chunks/"+strconv.FormatUint(i, 10), nil,
		func(h http.Header) { proofHdr = h.Get(ProofHeader) })
	if err != nil {
		return nil, err
	}
	p, err := ParseProof(proofHdr)
	if err != nil {
		return nil, err
	}
	if i >= m.Count() || p.Index != i || p.Count != m.Count() || len(data) != m.ChunkLen(i) {
		return nil, fmt.Errorf("chunk %d: served length or proof does not fit the manifest: %w", i, blob.ErrBadChunk)
	}
	if err := p.Verify(m.Root, merkle.LeafHash(data)); err != nil {
		return nil, fmt.Errorf("chunk %d: %w: %v", i, blob.ErrBadChunk, err)
	}
	return data, nil
}

// raw does a request whose success body is not JSON.
func (c *Client) raw(ctx context.Context, method, path string, body io.Reader, headers func(http.Header)) ([]byte, error) {
	data, status, h, err := c.request(ctx, method, path, "", body, merkle.MaxChunk+1)
	if err != nil {
		return nil, err
	}
	if status >= 300 {
		return nil, errorFrom(status, data)
	}
	if headers != nil {
		headers(h)
	}
	return data, nil
}

// UploadFile hashes a file once (one chunk in memory), announces its
// manifest, then sends only the chunks the node lacks, so a second call
// after a break resumes where the first stopped. Up to uploadsInFlight
// chunks are sent at once, so the node hashes and syncs one chunk while
// the next is on the wire. progress, if set, is told after each chunk how
// many of the missing ones are sent; it is called from one goroutine at a
// time.
func (c *Client) UploadFile(ctx context.Context, path string, chunkSize int, progress func(done, total int, bytes int64)) (*blob.Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	split, err := merkle.Split(f, chunkSize, nil)
	if err != nil {
		return nil, err
	}
	m := &blob.Manifest{Root: split.Root, Size: split.Size, ChunkSize: chunkSize, Leaves: split.Leaves}
	view, err := c.PutManifest(ctx, m)
	if err != nil {
		return nil, err
	}
	return m, c.uploadChunks(ctx, f, m, view.Missing, progress)
}

// uploadsInFlight bounds the chunk uploads of one file in flight: each
// holds one chunk in memory.
const uploadsInFlight = 4

func (c *Client) uploadChunks(ctx context.Context, f *os.File, m *blob.Manifest, missing []uint64, progress func(done, total int, bytes int64)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	todo := make(chan uint64)
	var (
		mu    sync.Mutex
		first error
		done  int
		sent  int64
	)
	fail := func(err error) {
		mu.Lock()
		if first == nil {
			first = err
		}
		mu.Unlock()
		cancel()
	}
	var wg sync.WaitGroup
	for range min(uploadsInFlight, len(missing)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, m.ChunkSize)
			for i := range todo {
				n := m.ChunkLen(i)
				if _, err := f.ReadAt(buf[:n], int64(i)*int64(m.ChunkSize)); err != nil && err != io.EOF {
					fail(fmt.Errorf("read chunk %d: %w", i, err))
					continue
				}
				if err := c.PutChunk(ctx, m.Root, i, buf[:n]); err != nil {
					fail(fmt.Errorf("chunk %d: %w (upload again to resume)", i, err))
					continue
				}
				mu.Lock()
				done, sent = done+1, sent+int64(n)
				if progress != nil {
					progress(done, len(missing), sent)
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, i := range missing {
		select {
		case todo <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(todo)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return first
}
