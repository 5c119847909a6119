package rpc

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lazchain/lazchain/internal/types"
)

// Client calls a node's API.
type Client struct {
	base string
	hc   *http.Client
}

// NewClient returns a client for base, e.g. http://127.0.0.1:26657.
func NewClient(base string) *Client {
	return &Client{base: strings.TrimRight(base, "/"), hc: &http.Client{Transport: transport, Timeout: waitTimeout + 15*time.Second}}
}

// transport is every client's, so connections to a node are pooled
// across them. net/http keeps two idle connections per host by default:
// a client with more requests in flight dialled a connection for each
// extra one and closed it after, a TCP handshake and a server goroutine
// per request (the bench churned about 200 connections a second at
// 15,000 tx/s, 3,300 sockets in TIME_WAIT).
var transport = func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = maxIdlePerNode
	return t
}()

// maxIdlePerNode bounds the idle connections kept to one node: enough for
// a load generator's concurrent submissions, few enough that idle sockets
// cost a node little.
const maxIdlePerNode = 64

// APIError is an error the server returned.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s (HTTP %d): %s", e.Code, e.Status, e.Message)
}

// busyRetries is how often do repeats a request the node refused as busy,
// over its connection limit, or past the client's upload budget. Those
// refusals changed nothing, so a repeat is safe for any method; the
// node's Retry-After says when, and a wait over 5 s is not ridden out.
// Other 503s (a proxy's, or a handler's that did work) are not repeated.
const busyRetries = 2

func (c *Client) do(ctx context.Context, method, path, ctype string, body []byte, out any) error {
	var (
		data   []byte
		status int
		hdr    http.Header
		err    error
	)
	for try := 0; ; try++ {
		data, status, hdr, err = c.request(ctx, method, path, ctype, bytes.NewReader(body), 64<<20)
		if err != nil {
			return err
		}
		if !refused(status, data) || try == busyRetries || !sleepRetryAfter(ctx, hdr) {
			break
		}
	}
	if status >= 300 {
		return errorFrom(status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decode %s response: %w", path, err)
		}
	}
	return nil
}

// request makes one request and returns at most limit bytes of the body,
// whatever the status.
func (c *Client) request(ctx context.Context, method, path, ctype string, body io.Reader, limit int64) ([]byte, int, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, 0, nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("cannot reach node at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil {
		return nil, 0, nil, fmt.Errorf("read response: %w", err)
	}
	return data, resp.StatusCode, resp.Header, nil
}

// refused reports whether the node turned the request away having
// changed nothing: unread (busy, too many connections), or an upload past
// the client's budget, which is given back whole.
func refused(status int, data []byte) bool {
	if status != http.StatusServiceUnavailable && status != http.StatusTooManyRequests {
		return false
	}
	var e *APIError
	if !errors.As(errorFrom(status, data), &e) {
		return false
	}
	switch status {
	case http.StatusTooManyRequests:
		return e.Code == "upload_quota"
	default:
		return e.Code == "busy" || e.Code == "too_many_connections"
	}
}

// sleepRetryAfter waits as the node's Retry-After asks (seconds, at most
// 5); it reports false when there is no such header or ctx ends first.
func sleepRetryAfter(ctx context.Context, h http.Header) bool {
	secs, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || secs < 0 || secs > 5 {
		return false
	}
	t := time.NewTimer(time.Duration(secs) * time.Second)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// errorFrom turns an error response into an *APIError.
func errorFrom(status int, data []byte) error {
	var e struct{ Error ErrorView }
	if json.Unmarshal(data, &e) == nil && e.Error.Code != "" {
		return &APIError{Status: status, Code: e.Error.Code, Message: e.Error.Message}
	}
	// Not a lazchain error: most likely --node points at something else.
	// Say so, with a short, printable start of what came back.
	body := strings.Join(strings.Fields(string(data)), " ")
	if len(body) > 80 {
		body = body[:80] + "..."
	}
	if body == "" {
		body = "an empty body"
	}
	return &APIError{Status: status, Code: "http", Message: fmt.Sprintf("not a lazchain API answer (is --node right?): %q", body)}
}

// Status calls GET /status.
func (c *Client) Status(ctx context.Context) (StatusView, error) {
	var v StatusView
	return v, c.do(ctx, http.MethodGet, "/status", "", nil, &v)
}

// Block calls GET /blocks/{height}; height 0 with latest set asks for the tip.
func (c *Client) Block(ctx context.Context, height uint64, latest bool) (BlockView, error) {
	var v BlockView
	path := fmt.Sprintf("/blocks/%d", height)
	if latest {
		path = "/blocks/latest"
	}
	return v, c.do(ctx, http.MethodGet, path, "", nil, &v)
}

// WaitBlock calls GET /blocks/{height}?wait=d: the block once committed,
// or a not_found error if it is not committed within d.
func (c *Client) WaitBlock(ctx context.Context, height uint64, d time.Duration) (BlockView, error) {
	var v BlockView
	return v, c.do(ctx, http.MethodGet, fmt.Sprintf("/blocks/%d?wait=%s", height, d), "", nil, &v)
}

// Tx calls GET /txs/{hash}.
func (c *Client) Tx(ctx context.Context, h types.Hash) (TxView, error) {
	var v TxView
	return v, c.do(ctx, http.MethodGet, "/txs/"+h.String(), "", nil, &v)
}

// Account calls GET /accounts/{addr}.
func (c *Client) Account(ctx context.Context, addr []byte) (AccountView, error) {
	var v AccountView
	return v, c.do(ctx, http.MethodGet, "/accounts/"+hex.EncodeToString(addr), "", nil, &v)
}

// Submit calls POST /txs, waiting for the commit if wait is set.
func (c *Client) Submit(ctx context.Context, tx *types.Tx, wait bool) (SubmitView, error) {
	body, _ := json.Marshal(submitRequest{Tx: hex.EncodeToString(tx.Encode())})
	path := "/txs"
	if wait {
		path += "?wait=true"
	}
	var v SubmitView
	return v, c.do(ctx, http.MethodPost, path, "application/json", body, &v)
}

// SubmitBatch calls POST /txs/batch.
func (c *Client) SubmitBatch(ctx context.Context, txs []*types.Tx) (BatchView, error) {
	var v BatchView
	return v, c.do(ctx, http.MethodPost, "/txs/batch", "application/octet-stream", types.EncodeTxBatch(txs), &v)
}

// Validators calls GET /validators.
func (c *Client) Validators(ctx context.Context) (json.RawMessage, error) {
	var v json.RawMessage
	return v, c.do(ctx, http.MethodGet, "/validators", "", nil, &v)
}

// Get fetches any GET path of the API as raw JSON.
func (c *Client) Get(ctx context.Context, path string) (json.RawMessage, error) {
	var v json.RawMessage
	return v, c.do(ctx, http.MethodGet, path, "", nil, &v)
}

// Epoch calls GET /epochs/{n}.
func (c *Client) Epoch(ctx context.Context, n uint64) (EpochView, error) {
	var v EpochView
	return v, c.do(ctx, http.MethodGet, "/epochs/"+strconv.FormatUint(n, 10), "", nil, &v)
}

// IDAO returns an iDAO.
func (c *Client) IDAO(ctx context.Context, name string) (IDAOView, error) {
	var v IDAOView
	return v, c.do(ctx, http.MethodGet, "/idaos/"+url.PathEscape(name), "", nil, &v)
}

// Artifact returns an artifact.
func (c *Client) Artifact(ctx context.Context, id types.Hash) (ArtifactView, error) {
	var v ArtifactView
	return v, c.do(ctx, http.MethodGet, "/artifacts/"+hex.EncodeToString(id[:]), "", nil, &v)
}

// Dispute calls GET /disputes/{id}.
func (c *Client) Dispute(ctx context.Context, id types.Hash) (DisputeView, error) {
	var v DisputeView
	return v, c.do(ctx, http.MethodGet, "/disputes/"+hex.EncodeToString(id[:]), "", nil, &v)
}

// DisputeQuery selects disputes; zero fields select every one.
type DisputeQuery struct {
	Status   string     // open, upheld, rejected, expired or superseded
	Artifact types.Hash // that artifact's disputes
	After    types.Hash // the Next of the previous page
	Limit    int        // 0: the server's default
}

// Disputes calls GET /disputes: one page, in id order.
func (c *Client) Disputes(ctx context.Context, q DisputeQuery) (DisputesView, error) {
	v := url.Values{}
	if q.Status != "" {
		v.Set("status", q.Status)
	}
	if q.Artifact != (types.Hash{}) {
		v.Set("artifact", hex.EncodeToString(q.Artifact[:]))
	}
	if q.After != (types.Hash{}) {
		v.Set("after", hex.EncodeToString(q.After[:]))
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var out DisputesView
	return out, c.do(ctx, http.MethodGet, "/disputes?"+v.Encode(), "", nil, &out)
}

// Events calls GET /events: one page of the event log from from, of type
// kind ("" for any, or a prefix ending in "." such as "dispute."), about
// artifact (zero for any), at most limit (0: the server's default).
// Continue from the page's Next; Stopped "tip" means caught up.
func (c *Client) Events(ctx context.Context, from EventCursor, kind string, artifact types.Hash, limit int) (EventsView, error) {
	v := url.Values{}
	v.Set("from", strconv.FormatUint(from.Height, 10))
	if from.Index != 0 {
		v.Set("index", strconv.FormatUint(uint64(from.Index), 10))
	}
	if kind != "" {
		v.Set("kind", kind)
	}
	if artifact != (types.Hash{}) {
		v.Set("artifact", hex.EncodeToString(artifact[:]))
	}
	if limit != 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	var out EventsView
	return out, c.do(ctx, http.MethodGet, "/events?"+v.Encode(), "", nil, &out)
}

// SendTx signs kind and body with key at the account's next nonce, submits
// it, waits for the commit and returns the receipt; a committed but failed
// transaction is an error that carries the receipt's reason. A validator's
// operator key is also used by its node for its own transactions, so a
// nonce taken in between is retried with the next one a few times.
func (c *Client) SendTx(ctx context.Context, key ed25519.PrivateKey, kind uint16, body []byte) (TxView, error) {
	st, err := c.Status(ctx)
	if err != nil {
		return TxView{}, err
	}
	var tx *types.Tx
	for try := 0; ; try++ {
		acc, err := c.Account(ctx, key.Public().(ed25519.PublicKey))
		if err != nil {
			return TxView{}, err
		}
		// Past what the node's pool holds: the committed nonce would be
		// taken again and again while the node's own transaction waits.
		tx = &types.Tx{ChainID: st.ChainID, Nonce: max(acc.Nonce, acc.PendingNonce), Kind: kind, Body: body}
		tx.Sign(key)
		_, err = c.Submit(ctx, tx, true)
		var api *APIError
		if err == nil {
			break
		}
		if !errors.As(err, &api) || (api.Code != "nonce_taken" && api.Code != "stale_nonce") || try == 5 {
			return TxView{}, err
		}
		select {
		case <-ctx.Done():
			return TxView{}, ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
	v, err := c.Tx(ctx, tx.Hash())
	if err != nil {
		return TxView{}, err
	}
	if !v.OK {
		return v, fmt.Errorf("transaction %s committed but failed: %s: %s", v.Hash, v.Result, v.Reason)
	}
	return v, nil
}

// GetJSON decodes GET path into out.
func (c *Client) GetJSON(ctx context.Context, path string, out any) error {
	return c.do(ctx, http.MethodGet, path, "", nil, out)
}
