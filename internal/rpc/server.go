package rpc

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	httppprof "net/http/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/mempool"
	"github.com/lazchain/lazchain/internal/node"
	"github.com/lazchain/lazchain/internal/types"
)

// Body limits: one transaction is small; a batch may be large.
const (
	maxTxBody    = 256 << 10
	maxBatchBody = 32 << 20
	waitTimeout  = 30 * time.Second
)

// Server serves a node's API.
type Server struct {
	n      *node.Node
	srv    *http.Server
	ln     net.Listener
	limits Limits
	gates  gates
	quota  *clientQuota // per-client blob upload bytes
	active inflight     // requests in a handler
}

// gates are the server's semaphores, one per kind of request that holds
// memory or a connection for long.
type gates struct {
	batches, blobs, waiting *gate
}

// Options configure a Server.
type Options struct {
	Pprof  bool // serve /debug/pprof/
	Limits Limits
}

// NewServer builds the handler tree.
func NewServer(n *node.Node, opts Options) *Server {
	s := &Server{n: n, limits: opts.Limits.orDefault()}
	s.quota = newClientQuota(s.limits.ClientUploadPerHour)
	s.gates = gates{
		batches: newPacedGate(s.limits.Uploads, "transaction batch uploads", 30*time.Second),
		blobs:   newPacedGate(s.limits.Uploads, "blob uploads", uploadDeadline),
		waiting: newGate(s.limits.Waiting, "requests that wait"),
	}
	batches, blobs, waiting := s.gates.batches, s.gates.blobs, s.gates.waiting
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", s.status)
	mux.HandleFunc("GET /blocks/latest", s.latestBlock)
	mux.HandleFunc("GET /blocks/{height}", waiting.wrapIf(hasQuery("wait"), s.block))
	mux.HandleFunc("GET /validators", s.validators)
	mux.HandleFunc("GET /txs/{hash}", s.tx)
	mux.HandleFunc("GET /accounts/{addr}", s.account)
	mux.HandleFunc("GET /epochs/{n}", s.epoch)
	mux.HandleFunc("GET /staking/validators", s.candidates)
	mux.HandleFunc("GET /evidence", s.evidence)
	mux.HandleFunc("PUT /blobs", blobs.wrap(s.putBlob))
	mux.HandleFunc("GET /blobs/{root}", s.getBlob)
	mux.HandleFunc("PUT /blobs/{root}/manifest", blobs.wrap(s.putManifest))
	mux.HandleFunc("GET /blobs/{root}/chunks/{i}", s.getChunk)
	mux.HandleFunc("PUT /blobs/{root}/chunks/{i}", blobs.wrap(s.putChunk))
	mux.HandleFunc("GET /blocks/{height}/events", s.blockEvents)
	mux.HandleFunc("GET /artifacts/{id}/proof", s.artifactProof)
	mux.HandleFunc("GET /headers", s.headers)
	mux.HandleFunc("GET /epochs", s.epochSteps)
	mux.HandleFunc("GET /idaos", s.idaos)
	mux.HandleFunc("GET /idaos/{name}", s.idao)
	mux.HandleFunc("GET /idaos/{name}/committees/{rotation}", s.committee)
	mux.HandleFunc("GET /artifacts", s.artifacts)
	mux.HandleFunc("GET /artifacts/{id}", s.artifact)
	mux.HandleFunc("GET /disputes", s.disputes)
	mux.HandleFunc("GET /disputes/{id}", s.dispute)
	mux.HandleFunc("GET /events", s.events)
	mux.HandleFunc("POST /txs", waiting.wrapIf(queryIs("wait", "true"), s.submit))
	mux.HandleFunc("POST /txs/batch", batches.wrap(s.submitBatch))
	mux.Handle("GET /metrics", promhttp.HandlerFor(n.Registry(), promhttp.HandlerOpts{}))
	if opts.Pprof {
		mux.HandleFunc("/debug/pprof/", httppprof.Index)
		mux.HandleFunc("/debug/pprof/profile", httppprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", httppprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", httppprof.Trace)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// This catch-all matches every method, so the mux never answers 405
		// by itself: a path that another method routes is a wrong method.
		if allow := allowedMethods(mux, r); allow != "" {
			w.Header().Set("Allow", allow)
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("%s %s: use %s", r.Method, r.URL.Path, allow))
			return
		}
		writeError(w, http.StatusNotFound, "not_found", fmt.Sprintf("no route %s %s", r.Method, r.URL.Path))
	})
	s.srv = &http.Server{Handler: s.active.track(mux), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: waitTimeout + 10*time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	return s
}

// allowedMethods lists the methods for which r's path has a route other
// than the catch-all.
func allowedMethods(mux *http.ServeMux, r *http.Request) string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut} {
		if _, pattern := mux.Handler(&http.Request{Method: m, Host: r.Host, URL: r.URL}); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	return strings.Join(allow, ", ")
}

// Handler returns the routes, for tests.
func (s *Server) Handler() http.Handler { return s.srv.Handler }

// Listen binds addr; Serve then serves it.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("api listen %s: %w", addr, err)
	}
	s.ln = &limitListener{Listener: ln, max: int64(s.limits.Connections), pressure: func(on bool) { s.srv.SetKeepAlivesEnabled(!on) }}
	return nil
}

// Addr is the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Serve runs until ctx ends, and returns only once no handler runs: the
// node closes its store after, and a handler still reading it (a batch
// whose body was arriving, a proof being built) found it closed.
func (s *Server) Serve(ctx context.Context) error {
	// Requests end with the server: a long poll (a block or a commit
	// waited for) returns at once instead of holding up the shutdown.
	s.srv.BaseContext = func(net.Listener) context.Context { return ctx }
	served := make(chan error, 1)
	go func() { served <- s.srv.Serve(s.ln) }()
	select {
	case err := <-served:
		return err // the listener failed
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if s.srv.Shutdown(sctx) != nil {
		// Past the grace period, cut the connections: a handler blocked
		// reading a slow body then fails at once.
		s.srv.Close()
	}
	s.active.wait()
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]ErrorView{"error": {Code: code, Message: msg}})
}

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	st := s.n.Status()
	writeJSON(w, http.StatusOK, StatusView{ChainID: s.n.ChainID(), NodeID: s.n.NodeID().String(), Height: st.Height,
		LatestBlock: st.Tip.String(), Round: st.Round, Epoch: s.n.Epoch(), ValidatorIndex: s.n.ValidatorIndex(), Peers: s.n.Peers()})
}

func (s *Server) latestBlock(w http.ResponseWriter, r *http.Request) {
	s.writeBlock(w, s.n.Status().Height)
}

// block serves GET /blocks/{height}; with ?wait=DURATION (at most 30s) a
// height not committed yet is awaited instead of answered 404, so a
// follower needs no polling.
func (s *Server) block(w http.ResponseWriter, r *http.Request) {
	h, err := strconv.ParseUint(r.PathValue("height"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_height", fmt.Sprintf("height %q is not a non-negative integer", r.PathValue("height")))
		return
	}
	if ws := r.URL.Query().Get("wait"); ws != "" {
		d, err := time.ParseDuration(ws)
		if err != nil || d <= 0 || d > waitTimeout {
			writeError(w, http.StatusBadRequest, "bad_wait", fmt.Sprintf("wait %q: want a duration up to %s, such as 5s", ws, waitTimeout))
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		s.n.WaitHeight(ctx, h) // on timeout the 404 below says it is not there yet
	}
	s.writeBlock(w, h)
}

func (s *Server) writeBlock(w http.ResponseWriter, h uint64) {
	b, err := s.n.BlockAt(h)
	if errors.Is(err, node.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", err.Error())
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, "internal", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, blockView(b))
}

func parseHash(s string) (types.Hash, error) {
	return types.ParseHash(s)
}

func (s *Server) tx(w http.ResponseWriter, r *http.Request) {
	h, err := parseHash(r.PathValue("hash"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_hash", err.Error())
		return
	}
	// The pool first: a commit reports its height before the pool forgets
	// the transaction, so one of the two reads sees it. The other order
	// answered 404 for a transaction committing between them.
	pending := s.n.Pending(h)
	res, err := s.n.Tx(h)
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, txView(res))
	case errors.Is(err, node.ErrNotFound) && pending:
		writeJSON(w, http.StatusOK, TxView{Hash: h.String(), Status: "pending"})
	case errors.Is(err, node.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	default:
		writeError(w, http.StatusInternalServerError, "internal", err.Error())
	}
}

// submitRequest is POST /txs: the hex of a transaction's canonical encoding.
type submitRequest struct {
	Tx string `json:"tx"`
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	if q := r.URL.Query(); q.Has("wait") && q.Get("wait") != "true" && q.Get("wait") != "false" {
		writeError(w, http.StatusBadRequest, "bad_wait", fmt.Sprintf("wait=%q: use wait=true to wait for the commit, or leave it out", q.Get("wait")))
		return
	}
	var req submitRequest
	body := http.MaxBytesReader(w, r.Body, maxTxBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeBodyError(w, err)
		return
	}
	if _, err := dec.Token(); err != io.EOF { // one JSON object and nothing after it
		if err == nil {
			err = errors.New("unexpected data after the JSON object")
		}
		writeBodyError(w, err)
		return
	}
	raw, err := hex.DecodeString(req.Tx)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_tx", "tx must be the hex of a signed transaction's encoding")
		return
	}
	tx, err := types.DecodeTx(raw)
	if errors.Is(err, codec.ErrTooLong) {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", err.Error())
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_tx", err.Error())
		return
	}
	wait := r.URL.Query().Get("wait") == "true"
	if err := s.n.Submit([]*types.Tx{tx})[0]; err != nil && !(wait && s.known(tx.Hash(), err)) {
		status, code := submitErrorCode(err)
		if code == "mempool_full" {
			w.Header().Set("Retry-After", "1") // as for a batch refused so
		}
		writeError(w, status, code, err.Error())
		return
	}
	h := tx.Hash()
	if !wait {
		writeJSON(w, http.StatusAccepted, SubmitView{Hash: h.String(), Status: "accepted"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), waitTimeout)
	defer cancel()
	height, err := s.n.WaitCommitted(ctx, h)
	if err != nil {
		writeError(w, http.StatusGatewayTimeout, "timeout", fmt.Sprintf("tx %s accepted but not committed within %s; query GET /txs/%s", h, waitTimeout, h))
		return
	}
	writeJSON(w, http.StatusOK, SubmitView{Hash: h.String(), Status: "committed", Height: height})
}

// known reports whether a transaction refused as a duplicate or for its
// nonce is this very one, pending or committed: a client repeating a
// wait that ended without an answer (a dropped connection, the 504) then
// waits for it, or learns it committed, instead of reading a 409 for a
// transaction that went through.
func (s *Server) known(h types.Hash, err error) bool {
	if !errors.Is(err, mempool.ErrDuplicate) && !errors.Is(err, mempool.ErrStaleNonce) {
		return false
	}
	if s.n.Pending(h) {
		return true
	}
	_, terr := s.n.Tx(h)
	return terr == nil
}

func (s *Server) submitBatch(w http.ResponseWriter, r *http.Request) {
	raw, err := readBody(w, r, maxBatchBody)
	if err != nil {
		writeBodyError(w, err)
		return
	}
	txs, err := types.DecodeTxBatch(raw)
	if errors.Is(err, codec.ErrTooLong) {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", err.Error())
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_batch", err.Error())
		return
	}
	errs := s.n.Submit(txs)
	if allFull(errs) {
		// Nothing got in for want of room: the node is saturated, as for
		// a lone transaction refused so (503), and a client retries the
		// batch as a whole.
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "mempool_full", errs[0].Error())
		return
	}
	out := BatchView{}
	for i, err := range errs {
		if err == nil {
			out.Accepted++
			continue
		}
		_, code := submitErrorCode(err)
		idx := i
		out.Rejected = append(out.Rejected, ErrorView{Code: code, Message: err.Error(), Index: &idx})
	}
	writeJSON(w, http.StatusOK, out)
}

// allFull reports whether every transaction of a batch was refused because
// the pool is full.
func allFull(errs []error) bool {
	for _, err := range errs {
		if !errors.Is(err, mempool.ErrFull) {
			return false
		}
	}
	return len(errs) > 0
}

// readBody reads a request body of at most limit bytes. A declared length
// within the limit is read into one buffer of that size: io.ReadAll's
// doublings and copies were a percent of a loaded node's CPU.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	if r.ContentLength <= 0 || r.ContentLength > limit {
		return io.ReadAll(body)
	}
	buf := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(body, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

func writeBodyError(w http.ResponseWriter, err error) {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body over %d bytes", tooBig.Limit))
		return
	}
	writeError(w, http.StatusBadRequest, "bad_json", "request body: "+err.Error())
}

// submitErrorCode maps a mempool refusal to an HTTP status and error code.
func submitErrorCode(err error) (int, string) {
	switch {
	case errors.Is(err, mempool.ErrBadSig):
		return http.StatusBadRequest, "bad_signature"
	case errors.Is(err, mempool.ErrStaleNonce):
		return http.StatusConflict, "stale_nonce"
	case errors.Is(err, mempool.ErrNonceGap):
		return http.StatusBadRequest, "nonce_gap"
	case errors.Is(err, mempool.ErrNonceTaken):
		return http.StatusConflict, "nonce_taken"
	case errors.Is(err, mempool.ErrDuplicate):
		return http.StatusConflict, "duplicate"
	case errors.Is(err, mempool.ErrChainID):
		return http.StatusBadRequest, "wrong_chain"
	case errors.Is(err, mempool.ErrTooLarge), errors.Is(err, codec.ErrTooLong):
		return http.StatusRequestEntityTooLarge, "too_large"
	case errors.Is(err, mempool.ErrFull):
		return http.StatusServiceUnavailable, "mempool_full"
	}
	return http.StatusBadRequest, "rejected"
}
