package rpc

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

// tamper returns tx with one signature byte flipped, re-decoded so that its
// cached hash is that of the tampered bytes.
func tamper(t *testing.T, tx *types.Tx) *types.Tx {
	t.Helper()
	enc := tx.Encode()
	enc[len(enc)-10] ^= 0x01 // inside the trailing 64-byte signature
	bad, err := types.DecodeTx(enc)
	if err != nil {
		t.Fatal(err)
	}
	return bad
}

func hexJSON(b []byte) []byte { return []byte(`{"tx":"` + hex.EncodeToString(b) + `"}`) }

// fingerprint is what no rejected request may change.
type fingerprint struct {
	nonce     uint64
	mempool   string
	blockID   string
	blockTxs  string
	heightOne string
}

func (tn *testNode) fingerprint(t *testing.T, addr ed25519.PublicKey, height uint64) fingerprint {
	t.Helper()
	ctx := testCtx(t)
	acc, err := tn.client.Account(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	b, err := tn.client.Block(ctx, height, false)
	if err != nil {
		t.Fatal(err)
	}
	one, err := tn.client.Block(ctx, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	return fingerprint{nonce: acc.Nonce, mempool: tn.mempoolTxs(t), blockID: b.ID, blockTxs: strings.Join(b.Txs, ","), heightOne: one.ID}
}

// Every bad request gets its 4xx status and a JSON error, and changes
// neither the mempool, nor the account, nor the committed chain.
func TestBadInput(t *testing.T) {
	tn := startNode(t)
	ctx := testCtx(t)
	key := account(3)
	addr := key.Public().(ed25519.PublicKey)
	committed := signedTx(testChain, key, 0, "committed")
	sv, err := tn.client.Submit(ctx, committed, true)
	if err != nil {
		t.Fatal(err)
	}
	// A refused submission refreshes the mempool gauge; it must read 0.
	_, err = tn.client.Submit(ctx, tamper(t, signedTx(testChain, key, 1, "warm-up")), false)
	wantAPIError(t, err, http.StatusBadRequest, "bad_signature")
	before := tn.fingerprint(t, addr, sv.Height)
	if before.nonce != 1 || before.mempool != "0" {
		t.Fatalf("setup: %+v", before)
	}

	next := signedTx(testChain, key, 1, "next")
	enc := next.Encode()
	badSig := tamper(t, next)
	wrongChain := signedTx("another-chain", key, 1, "wc")
	otherAtZero := signedTx(testChain, key, 0, "replacement")
	big := &types.Tx{ChainID: testChain, Nonce: 1, Body: make([]byte, types.MaxTxBytes+1)}
	big.Sign(key)
	batch := types.EncodeTxBatch([]*types.Tx{next, signedTx(testChain, key, 2, "b")})
	badVersion := append([]byte(nil), enc...)
	badVersion[0]++

	cases := []struct {
		name   string
		method string
		path   string
		body   []byte
		status int
		codes  []string
		tx     *types.Tx // must be neither pending nor committed afterwards
	}{
		{"malformed json", "POST", "/txs", []byte(`{"tx":`), 400, []string{"bad_json"}, nil},
		{"not json", "POST", "/txs", []byte(`hello`), 400, []string{"bad_json"}, nil},
		{"empty body", "POST", "/txs", nil, 400, []string{"bad_json"}, nil},
		{"unknown field", "POST", "/txs", []byte(`{"tx":"` + hex.EncodeToString(enc) + `","fee":1}`), 400, []string{"bad_json"}, next},
		{"trailing json", "POST", "/txs", append(hexJSON(enc), []byte(`{"tx":"00"}`)...), 400, []string{"bad_json"}, next},
		{"tx not a string", "POST", "/txs", []byte(`{"tx":5}`), 400, []string{"bad_json"}, nil},
		{"tx not hex", "POST", "/txs", []byte(`{"tx":"zz"}`), 400, []string{"bad_tx"}, nil},
		{"tx odd hex", "POST", "/txs", []byte(`{"tx":"abc"}`), 400, []string{"bad_tx"}, nil},
		{"tx empty", "POST", "/txs", []byte(`{"tx":""}`), 400, []string{"bad_tx"}, nil},
		{"tx truncated", "POST", "/txs", hexJSON(enc[:len(enc)-1]), 400, []string{"bad_tx"}, nil},
		{"tx trailing byte", "POST", "/txs", hexJSON(append(append([]byte(nil), enc...), 0)), 400, []string{"bad_tx"}, nil},
		{"tx bad version", "POST", "/txs", hexJSON(badVersion), 400, []string{"bad_tx"}, nil},
		{"bad signature", "POST", "/txs", submitJSON(badSig), 400, []string{"bad_signature"}, badSig},
		{"replay committed tx", "POST", "/txs", submitJSON(committed), 409, []string{"stale_nonce", "duplicate"}, nil},
		{"replay committed nonce", "POST", "/txs", submitJSON(otherAtZero), 409, []string{"stale_nonce"}, otherAtZero},
		{"wrong chain", "POST", "/txs", submitJSON(wrongChain), 400, []string{"wrong_chain"}, wrongChain},
		{"wait with bad tx", "POST", "/txs?wait=true", submitJSON(badSig), 400, []string{"bad_signature"}, badSig},
		{"wait not a bool", "POST", "/txs?wait=1", submitJSON(next), 400, []string{"bad_wait"}, next},
		{"batch with a tx over MaxTxBytes", "POST", "/txs/batch", types.EncodeTxBatch([]*types.Tx{big}), 413, []string{"too_large"}, big},
		{"body over 256 KiB", "POST", "/txs", []byte(`{"tx":"` + strings.Repeat("00", maxTxBody/2+1) + `"}`), 413, []string{"too_large"}, nil},
		{"tx over MaxTxBytes", "POST", "/txs", submitJSON(big), 413, []string{"too_large"}, big},
		{"batch over 32 MiB", "POST", "/txs/batch", make([]byte, maxBatchBody+1), 413, []string{"too_large"}, nil},
		{"batch garbage", "POST", "/txs/batch", []byte("not a batch"), 400, []string{"bad_batch"}, nil},
		{"batch empty", "POST", "/txs/batch", nil, 400, []string{"bad_batch"}, nil},
		{"batch truncated", "POST", "/txs/batch", batch[:len(batch)-1], 400, []string{"bad_batch"}, next},
		{"batch trailing byte", "POST", "/txs/batch", append(append([]byte(nil), batch...), 0), 400, []string{"bad_batch"}, next},
		{"batch count too high", "POST", "/txs/batch", append([]byte{1, 0xff, 0xff, 0xff, 0xff}, batch[5:]...), 413, []string{"too_large"}, next},
		{"unknown height", "GET", "/blocks/999999", nil, 404, []string{"not_found"}, nil},
		{"height not a number", "GET", "/blocks/abc", nil, 400, []string{"bad_height"}, nil},
		{"negative height", "GET", "/blocks/-1", nil, 400, []string{"bad_height"}, nil},
		{"height overflow", "GET", "/blocks/18446744073709551616", nil, 400, []string{"bad_height"}, nil},
		{"unknown tx", "GET", "/txs/" + strings.Repeat("ab", 32), nil, 404, []string{"not_found"}, nil},
		{"hash not hex", "GET", "/txs/xyz", nil, 400, []string{"bad_hash"}, nil},
		{"hash too short", "GET", "/txs/" + strings.Repeat("ab", 31), nil, 400, []string{"bad_hash"}, nil},
		{"hash too long", "GET", "/txs/" + strings.Repeat("ab", 33), nil, 400, []string{"bad_hash"}, nil},
		{"address not hex", "GET", "/accounts/zz", nil, 400, []string{"bad_address"}, nil},
		{"address too short", "GET", "/accounts/abcd", nil, 400, []string{"bad_address"}, nil},
		{"unknown route", "GET", "/nope", nil, 404, []string{"not_found"}, nil},
		{"unknown nested route", "POST", "/txs/batch/more", nil, 404, []string{"not_found"}, nil},
		{"wrong method status", "DELETE", "/status", nil, 405, nil, nil},
		{"wrong method txs", "GET", "/txs", nil, 405, nil, nil},
		{"wrong method batch", "PUT", "/txs/batch", []byte("x"), 405, nil, nil},
		{"wrong method tx", "POST", "/txs/" + strings.Repeat("ab", 32), nil, 405, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctype := "application/json"
			if strings.HasPrefix(c.path, "/txs/batch") {
				ctype = "application/octet-stream"
			}
			r := tn.do(t, c.method, c.path, ctype, c.body)
			if r.status != c.status {
				t.Fatalf("HTTP %d, want %d: %s", r.status, c.status, truncate(r.body))
			}
			if c.codes != nil { // for 405 only the status is checked
				if !strings.HasPrefix(r.ctype, "application/json") {
					t.Fatalf("content type %q", r.ctype)
				}
				e := apiError(t, r)
				if !contains(c.codes, e.Code) {
					t.Fatalf("code %q (%s), want one of %v", e.Code, e.Message, c.codes)
				}
			}
			if c.tx != nil {
				_, err := tn.client.Tx(ctx, c.tx.Hash())
				wantAPIError(t, err, http.StatusNotFound, "not_found")
			}
			if after := tn.fingerprint(t, addr, sv.Height); after != before {
				t.Fatalf("state changed: %+v, was %+v", after, before)
			}
		})
	}

	// Nonce 1 is still free: no rejected request used it.
	sv, err = tn.client.Submit(ctx, next, true)
	if err != nil || sv.Status != "committed" {
		t.Fatalf("nonce 1 after the bad inputs: %+v, %v", sv, err)
	}
	if v := mustTx(t, tn, next); !v.OK || v.Nonce != 1 {
		t.Fatalf("nonce 1 receipt: %+v", v)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func truncate(b []byte) []byte {
	if len(b) > 300 {
		return append(bytes.Clone(b[:300]), "..."...)
	}
	return b
}
