package rpc

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/merkle"
)

// Upload limits: a whole blob streamed in one request, and one chunk.
const (
	maxBlobBody    = 4 << 30
	maxChunkBody   = merkle.MaxChunk
	uploadDeadline = 30 * time.Minute // a multi-GiB stream outlasts the server's read timeout
)

// BlobView is a blob's manifest summary, and which chunks this node lacks.
type BlobView struct {
	Root      string   `json:"root"`
	Size      int64    `json:"size"`
	ChunkSize int      `json:"chunk_size"`
	Chunks    uint64   `json:"chunks"`
	Missing   []uint64 `json:"missing"`
}

// ProofHeader carries a chunk's Merkle proof: "index/count/hex,hex,...".
const ProofHeader = "X-Lazchain-Proof"

func (s *Server) blobView(m *blob.Manifest) BlobView {
	missing, _ := s.n.Blobs().Missing(m.Root)
	if missing == nil {
		missing = []uint64{}
	}
	return BlobView{Root: hex.EncodeToString(m.Root[:]), Size: m.Size, ChunkSize: m.ChunkSize, Chunks: m.Count(), Missing: missing}
}

// putBlob streams a whole upload into the store: PUT /blobs?chunk_size=N.
func (s *Server) putBlob(w http.ResponseWriter, r *http.Request) {
	size := merkle.DefaultChunk
	if q := r.URL.Query().Get("chunk_size"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n <= 0 || n > merkle.MaxChunk {
			writeError(w, http.StatusBadRequest, "bad_chunk_size", fmt.Sprintf("chunk_size must be 1..%d", merkle.MaxChunk))
			return
		}
		size = n
	}
	// The server's write deadline runs from the request's headers: an
	// upload that outlasts it would be stored but never answered. Its
	// read deadline is the gate's (paced, up to uploadDeadline).
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Now().Add(uploadDeadline + time.Minute))
	u, ok := s.startUpload(w, r, maxBlobBody)
	if !ok {
		return
	}
	body := &readErr{r: http.MaxBytesReader(w, r.Body, maxBlobBody)}
	m, err := s.n.Blobs().Put(u.body(body), size, maxBlobBody)
	if err != nil {
		if u.fail(w) {
			return
		}
		if body.err != nil {
			uploadReadError(w, body.err)
			return
		}
		s.blobOK(w, err)
		return
	}
	s.n.BlobUploaded(m.Root)
	writeJSON(w, http.StatusOK, s.blobView(m))
}

// putManifest announces a blob before its chunks: PUT /blobs/{root}/manifest
// with the manifest's canonical encoding.
func (s *Server) putManifest(w http.ResponseWriter, r *http.Request) {
	root, ok := s.blobRoot(w, r)
	if !ok {
		return
	}
	body, u, ok := s.readUpload(w, r, int64(64+32*blob.MaxChunks))
	if !ok {
		return
	}
	m, err := blob.DecodeManifest(body)
	if err == nil && m.Root != root {
		err = fmt.Errorf("%w: manifest is for another root", blob.ErrBadManifest)
	}
	if err != nil {
		u.giveBack()
		writeError(w, http.StatusBadRequest, "bad_manifest", err.Error())
		return
	}
	if err := s.n.Blobs().PutManifest(m); err != nil {
		u.giveBack()
		s.blobOK(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.blobView(m))
}

// putChunk stores one chunk of an announced blob:
// PUT /blobs/{root}/chunks/{i}. A chunk that does not match is refused.
func (s *Server) putChunk(w http.ResponseWriter, r *http.Request) {
	root, i, ok := s.chunkRef(w, r)
	if !ok {
		return
	}
	data, u, ok := s.readUpload(w, r, maxChunkBody)
	if !ok {
		return
	}
	if err := s.n.Blobs().PutChunk(root, i, data); err != nil {
		u.giveBack()
		s.blobOK(w, err)
		return
	}
	s.n.BlobUploaded(root)
	writeJSON(w, http.StatusOK, map[string]any{"root": hex.EncodeToString(root[:]), "index": i})
}

// readUpload reads a body of at most limit bytes, charged to the client
// as it is read. A failure has been answered; otherwise the caller calls
// the upload's giveBack if the body is not stored after all.
func (s *Server) readUpload(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *upload, bool) {
	u, ok := s.startUpload(w, r, limit)
	if !ok {
		return nil, nil, false
	}
	r.Body = struct {
		io.Reader
		io.Closer
	}{u.body(r.Body), r.Body}
	data, err := readBody(w, r, limit)
	if err != nil {
		if !u.fail(w) {
			uploadReadError(w, err)
		}
		return nil, nil, false
	}
	return data, u, true
}

// readErr remembers the error a request body's reader gave, so that a
// failure to read the client's bytes is answered as the client's. It
// hands the reader above an opaque error: a body cut short reads as
// io.ErrUnexpectedEOF, which a chunker takes for a short last chunk, and
// the truncated stream would be stored as a complete blob.
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
		return n, errBodyRead
	}
	return n, err
}

var errBodyRead = errors.New("request body could not be read")

// uploadReadError answers an upload whose body could not be read: too
// large (413), too slow (408), or cut short (400). None is the node's fault.
func uploadReadError(w http.ResponseWriter, err error) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body over %d bytes", tooBig.Limit))
	case errors.Is(err, os.ErrDeadlineExceeded):
		writeError(w, http.StatusRequestTimeout, "timeout", "request body: "+err.Error())
	default:
		writeError(w, http.StatusBadRequest, "bad_body", "request body: "+err.Error())
	}
}

// getBlob serves GET /blobs/{root}.
func (s *Server) getBlob(w http.ResponseWriter, r *http.Request) {
	root, ok := s.blobRoot(w, r)
	if !ok {
		return
	}
	m, err := s.n.Blobs().Manifest(root)
	if !s.blobOK(w, err) {
		return
	}
	if r.URL.Query().Get("format") == "manifest" {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(m.Encode())
		return
	}
	writeJSON(w, http.StatusOK, s.blobView(m))
}

// getChunk serves GET /blobs/{root}/chunks/{i}: the bytes, with the
// Merkle proof in a header.
func (s *Server) getChunk(w http.ResponseWriter, r *http.Request) {
	root, i, ok := s.chunkRef(w, r)
	if !ok {
		return
	}
	data, proof, err := s.n.Blobs().Chunk(root, i)
	if errors.Is(err, blob.ErrBadChunk) {
		// The node's own copy rotted (and is dropped): the chunk is not
		// here, which says nothing about the request.
		writeError(w, http.StatusNotFound, "not_found", err.Error())
		return
	}
	if !s.blobOK(w, err) {
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set(ProofHeader, FormatProof(proof))
	w.Write(data)
}

// chunkRef reads {root} and {i} from a chunk route.
func (s *Server) chunkRef(w http.ResponseWriter, r *http.Request) (blob.Hash, uint64, bool) {
	root, ok := s.blobRoot(w, r)
	if !ok {
		return root, 0, false
	}
	i, err := strconv.ParseUint(r.PathValue("i"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_index", "chunk index must be a non-negative integer")
		return root, 0, false
	}
	return root, i, true
}

func (s *Server) blobRoot(w http.ResponseWriter, r *http.Request) (blob.Hash, bool) {
	h, err := parseHash(r.PathValue("root"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_root", err.Error())
		return h, false
	}
	return h, true
}

// blobOK maps a store error to a JSON error; it reports whether there was
// none.
func (s *Server) blobOK(w http.ResponseWriter, err error) bool {
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return true
	case errors.Is(err, blob.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.Is(err, blob.ErrBadChunk):
		writeError(w, http.StatusBadRequest, "bad_chunk", err.Error())
	case errors.Is(err, blob.ErrBadManifest):
		writeError(w, http.StatusBadRequest, "bad_manifest", err.Error())
	case errors.Is(err, blob.ErrFull):
		writeError(w, http.StatusInsufficientStorage, "storage_full", err.Error())
	case errors.Is(err, blob.ErrTooLarge), errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", err.Error())
	default:
		writeError(w, http.StatusInternalServerError, "internal", err.Error())
	}
	return false
}

// FormatProof writes a proof as "index/count/hex,hex,...".
func FormatProof(p merkle.Proof) string {
	parts := make([]string, len(p.Path))
	for i, h := range p.Path {
		parts[i] = hex.EncodeToString(h[:])
	}
	return fmt.Sprintf("%d/%d/%s", p.Index, p.Count, strings.Join(parts, ","))
}

// ParseProof reads FormatProof's output.
func ParseProof(s string) (merkle.Proof, error) {
	f := strings.SplitN(s, "/", 3)
	if len(f) != 3 {
		return merkle.Proof{}, fmt.Errorf("proof %q: want index/count/path", s)
	}
	var p merkle.Proof
	var err error
	if p.Index, err = strconv.ParseUint(f[0], 10, 64); err != nil {
		return p, fmt.Errorf("proof index: %w", err)
	}
	if p.Count, err = strconv.ParseUint(f[1], 10, 64); err != nil {
		return p, fmt.Errorf("proof count: %w", err)
	}
	if f[2] == "" {
		return p, nil
	}
	for _, x := range strings.Split(f[2], ",") {
		h, err := parseHash(x)
		if err != nil {
			return p, fmt.Errorf("proof path: %w", err)
		}
		p.Path = append(p.Path, h)
		if len(p.Path) > 64 {
			return p, fmt.Errorf("proof path longer than 64")
		}
	}
	return p, nil
}
