package rpc

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/node"
	"github.com/lazchain/lazchain/internal/types"
)

const testChain = "lazchain-rpc-test"

// seeded returns 32 deterministic bytes for a test key.
func seeded(tag string, i int) []byte {
	h := types.HashOf([]byte(tag + "/" + strconv.Itoa(i)))
	return h[:]
}

// account returns the i-th deterministic test account key.
func account(i int) ed25519.PrivateKey { return ed25519.NewKeyFromSeed(seeded("account", i)) }

// signedTx builds a transaction for chain signed by key.
func signedTx(chain string, key ed25519.PrivateKey, nonce uint64, body string) *types.Tx {
	tx := &types.Tx{ChainID: chain, Nonce: nonce, Kind: 0, Body: []byte(body)}
	tx.Sign(key)
	return tx
}

// testNode is a running single-validator node and its API.
type testNode struct {
	url    string
	node   *node.Node
	client *Client
	srv    *Server
}

// startNode runs a one-validator chain in-process: a temp home, genesis
// with this node's BLS key and node id, p2p on a free loopback port and no
// peers, and the API on another. Cleanup stops the API first (so no
// request touches a closed store), then the node.
func startNode(t *testing.T) *testNode { return startNodeGenesis(t, nil) }

// testGenesis is the genesis startNode runs: the node's own validator
// with stake 1,000,000, default consensus and staking settings, and no
// funded accounts.
func testGenesis(t *testing.T) *config.Genesis {
	t.Helper()
	nodeKey := ed25519.NewKeyFromSeed(seeded("node", 0))
	blsKey, err := bls.GenerateKey(seeded("bls", 0))
	if err != nil {
		t.Fatal(err)
	}
	return &config.Genesis{ChainID: testChain, Consensus: config.DefaultConsensus(),
		Validators: []config.GenesisValidator{{
			Name:   "node0",
			NodeID: hex.EncodeToString(nodeKey.Public().(ed25519.PublicKey)),
			BLSKey: hex.EncodeToString(blsKey.PublicKey().Bytes()),
			PoP:    hex.EncodeToString(blsKey.ProvePossession()),
			Stake:  1_000_000,
		}}}
}

// startNodeGenesis is startNode with tweak applied to testGenesis first
// (staking params, funded accounts); tweak may be nil.
func startNodeGenesis(t *testing.T, tweak func(g *config.Genesis)) *testNode {
	t.Helper()
	nodeKey := ed25519.NewKeyFromSeed(seeded("node", 0))
	blsKey, err := bls.GenerateKey(seeded("bls", 0))
	if err != nil {
		t.Fatal(err)
	}
	g := testGenesis(t)
	if tweak != nil {
		tweak(g)
	}
	cfg := config.Default()
	cfg.Moniker = "node0"
	cfg.P2P.Listen = "127.0.0.1:0"
	cfg.API.Listen = "127.0.0.1:0"
	// No committee work: its own beacon transactions would show up in the
	// mempool that the bad-input tests check is left untouched.
	cfg.IDAO.Paused = true
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	n, err := node.New(node.Options{Home: t.TempDir(), Config: cfg, Genesis: g, NodeKey: nodeKey, BLSKey: blsKey,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(n, Options{})
	if err := srv.Listen(cfg.API.Listen); err != nil {
		n.Close()
		t.Fatal(err)
	}
	nodeCtx, stopNode := context.WithCancel(context.Background())
	apiCtx, stopAPI := context.WithCancel(context.Background())
	nodeErr, apiErr := make(chan error, 1), make(chan error, 1)
	go func() { nodeErr <- n.Run(nodeCtx) }()
	go func() { apiErr <- srv.Serve(apiCtx) }()
	t.Cleanup(func() {
		stopAPI()
		if err := <-apiErr; err != nil {
			t.Errorf("api: %v", err)
		}
		stopNode()
		if err := <-nodeErr; err != nil {
			t.Errorf("node: %v", err)
		}
	})
	tn := &testNode{url: "http://" + srv.Addr().String(), node: n, srv: srv}
	tn.client = NewClient(tn.url)
	return tn
}

// ctx returns a context bounded by a generous deadline for one step.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// rawResp is one HTTP exchange's outcome.
type rawResp struct {
	status int
	ctype  string
	body   []byte
}

// do sends a raw request, for inputs the client cannot produce.
func (tn *testNode) do(t *testing.T, method, path, ctype string, body []byte) rawResp {
	t.Helper()
	req, err := http.NewRequestWithContext(testCtx(t), method, tn.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", method, path, err)
	}
	return rawResp{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), body: data}
}

// apiError decodes the JSON error envelope, failing the test if the body
// is not exactly {"error":{"code","message"}}.
func apiError(t *testing.T, r rawResp) ErrorView {
	t.Helper()
	var env map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &env); err != nil || len(env) != 1 || env["error"] == nil {
		t.Fatalf("HTTP %d: body is not a JSON error envelope: %q", r.status, r.body)
	}
	var e ErrorView
	dec := json.NewDecoder(bytes.NewReader(env["error"]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Code == "" || e.Message == "" {
		t.Fatalf("HTTP %d: error lacks code or message: %s (%v)", r.status, env["error"], err)
	}
	return e
}

// submitJSON is the body of POST /txs for tx.
func submitJSON(tx *types.Tx) []byte {
	b, _ := json.Marshal(submitRequest{Tx: hex.EncodeToString(tx.Encode())})
	return b
}

var mempoolGauge = regexp.MustCompile(`(?m)^lazchain_mempool_txs (\S+)$`)

// mempoolTxs reads the mempool gauge from /metrics. The node refreshes it
// on every submission, accepted or not.
func (tn *testNode) mempoolTxs(t *testing.T) string {
	t.Helper()
	r := tn.do(t, http.MethodGet, "/metrics", "", nil)
	m := mempoolGauge.FindSubmatch(r.body)
	if r.status != http.StatusOK || m == nil {
		t.Fatalf("metrics: HTTP %d without lazchain_mempool_txs", r.status)
	}
	return string(m[1])
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wantAPIError checks err is an *APIError with status and code.
func wantAPIError(t *testing.T, err error, status int, codes ...string) {
	t.Helper()
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want API error %d %v, got %v", status, codes, err)
	}
	if ae.Status != status {
		t.Fatalf("want HTTP %d, got %v", status, ae)
	}
	for _, c := range codes {
		if ae.Code == c {
			return
		}
	}
	t.Fatalf("want code in %v, got %v", codes, ae)
}

// badGet is a GET that must fail with status and code.
type badGet struct {
	path   string
	status int
	code   string
}

// checkBadGets runs each GET as a subtest and checks its JSON error.
func checkBadGets(t *testing.T, tn *testNode, cases []badGet) {
	t.Helper()
	ctx := testCtx(t)
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			_, err := tn.client.Get(ctx, tc.path)
			wantAPIError(t, err, tc.status, tc.code)
		})
	}
}
