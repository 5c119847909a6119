package rpc

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/types"
)

func TestStatus(t *testing.T) {
	tn := startNode(t)
	r := tn.do(t, http.MethodGet, "/status", "", nil)
	if r.status != http.StatusOK || !strings.HasPrefix(r.ctype, "application/json") {
		t.Fatalf("GET /status: HTTP %d %q", r.status, r.ctype)
	}
	var raw map[string]any
	if err := json.Unmarshal(r.body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name string
		want any
	}{
		{"chain_id", testChain},
		{"node_id", tn.node.NodeID().String()},
		{"height", nil}, // any number
		{"round", nil},
		{"epoch", float64(0)},
		{"validator_index", float64(0)},
	} {
		v, ok := raw[f.name]
		if !ok {
			t.Errorf("status lacks %q: %s", f.name, r.body)
			continue
		}
		if f.want == nil {
			if _, isNum := v.(float64); !isNum {
				t.Errorf("status %q = %v, want a number", f.name, v)
			}
		} else if v != f.want {
			t.Errorf("status %q = %v, want %v", f.name, v, f.want)
		}
	}

	ctx := testCtx(t)
	first, err := tn.client.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var last StatusView
	waitFor(t, "height to grow by 2", 10*time.Second, func() bool {
		last, err = tn.client.Status(ctx)
		return err == nil && last.Height >= first.Height+2
	})
	if last.LatestBlock == first.LatestBlock {
		t.Fatalf("latest block hash did not change: %s", last.LatestBlock)
	}
	b, err := tn.client.Block(ctx, 0, true)
	if err != nil || b.Height < last.Height {
		t.Fatalf("GET /blocks/latest: %+v, %v (status height %d)", b, err, last.Height)
	}
	g, err := tn.client.Block(ctx, 0, false)
	if err != nil || g.Height != 0 || g.QC != nil {
		t.Fatalf("GET /blocks/0: %+v, %v", g, err)
	}
}

func TestSubmitCommitAndQuery(t *testing.T) {
	tn := startNode(t)
	ctx := testCtx(t)
	key := account(1)
	addr := key.Public().(ed25519.PublicKey)

	// Fire and forget: 202 accepted, then it commits on its own.
	tx0 := signedTx(testChain, key, 0, "first")
	r := tn.do(t, http.MethodPost, "/txs", "application/json", submitJSON(tx0))
	var sv SubmitView
	if r.status != http.StatusAccepted || json.Unmarshal(r.body, &sv) != nil || sv.Status != "accepted" || sv.Hash != tx0.Hash().String() {
		t.Fatalf("POST /txs: HTTP %d %s", r.status, r.body)
	}
	waitFor(t, "tx0 to commit", 10*time.Second, func() bool {
		v, err := tn.client.Tx(ctx, tx0.Hash())
		return err == nil && v.Status == "committed"
	})

	// Wait for the commit: 200 with a height.
	tx1 := signedTx(testChain, key, 1, "second")
	sv, err := tn.client.Submit(ctx, tx1, true)
	if err != nil || sv.Status != "committed" || sv.Height == 0 || sv.Hash != tx1.Hash().String() {
		t.Fatalf("POST /txs?wait=true: %+v, %v", sv, err)
	}

	for _, c := range []struct {
		tx    *types.Tx
		nonce uint64
	}{{tx0, 0}, {tx1, 1}} {
		v, err := tn.client.Tx(ctx, c.tx.Hash())
		if err != nil {
			t.Fatal(err)
		}
		want := TxView{Hash: c.tx.Hash().String(), Status: "committed", Height: v.Height, Index: v.Index, Result: "ok", OK: true,
			Sender: hex.EncodeToString(addr), Nonce: c.nonce, Kind: 0, BodyHex: hex.EncodeToString(c.tx.Body)}
		if v != want || v.Height == 0 {
			t.Fatalf("GET /txs/%s = %+v, want %+v", c.tx.Hash().Short(), v, want)
		}
		b, err := tn.client.Block(ctx, v.Height, false)
		if err != nil {
			t.Fatal(err)
		}
		if b.Height != v.Height || b.NumTxs != len(b.Txs) || int(v.Index) >= len(b.Txs) || b.Txs[v.Index] != v.Hash {
			t.Fatalf("GET /blocks/%d = %+v does not hold %s at %d", v.Height, b, v.Hash, v.Index)
		}
		wantSigners := []int{0}
		if b.QC != nil && b.QC.Round == 0 {
			wantSigners = []int{} // the genesis QC has no signers
		}
		if b.QC == nil || b.Parent != b.QC.BlockID || !slices.Equal(b.QC.Signers, wantSigners) {
			t.Fatalf("block %d: qc %+v, parent %s", b.Height, b.QC, b.Parent)
		}
	}
	if sv.Height != mustTx(t, tn, tx1).Height {
		t.Fatalf("submit reported height %d, receipt says %d", sv.Height, mustTx(t, tn, tx1).Height)
	}
	acc, err := tn.client.Account(ctx, addr)
	if err != nil || acc.Nonce != 2 || acc.PendingNonce != 2 || acc.Address != hex.EncodeToString(addr) {
		t.Fatalf("GET /accounts: %+v, %v; want nonce 2, and 2 to use next", acc, err)
	}
	other, err := tn.client.Account(ctx, account(99).Public().(ed25519.PublicKey))
	if err != nil || other.Nonce != 0 {
		t.Fatalf("unknown account: %+v, %v", other, err)
	}
}

// A client told its transaction committed at height h finds h reported
// in /status and its block served. The race this guards (a receipt found
// after execution but before the height was reported) is narrow; it once
// lost a dispute's events in CI, and this loop gives it forty chances.
func TestWaitedCommitIsVisible(t *testing.T) {
	tn := startNode(t)
	ctx := testCtx(t)
	key := account(2)
	for nonce := range uint64(40) {
		sv, err := tn.client.Submit(ctx, signedTx(testChain, key, nonce, "seen"), true)
		if err != nil {
			t.Fatal(err)
		}
		st, err := tn.client.Status(ctx)
		if err != nil || st.Height < sv.Height {
			t.Fatalf("nonce %d committed at %d, but /status says %+v, %v", nonce, sv.Height, st, err)
		}
		if _, err := tn.client.Block(ctx, sv.Height, false); err != nil {
			t.Fatalf("nonce %d: block %d: %v", nonce, sv.Height, err)
		}
	}
}

func mustTx(t *testing.T, tn *testNode, tx *types.Tx) TxView {
	t.Helper()
	v, err := tn.client.Tx(testCtx(t), tx.Hash())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// A transaction past a nonce gap waits in the mempool: it reads as pending
// and blocks another transaction with its nonce.
func TestPendingAndNonceTaken(t *testing.T) {
	tn := startNode(t)
	ctx := testCtx(t)
	key := account(2)
	gap := signedTx(testChain, key, 5, "gap")
	if _, err := tn.client.Submit(ctx, gap, false); err != nil {
		t.Fatal(err)
	}
	v, err := tn.client.Tx(ctx, gap.Hash())
	if err != nil || v.Status != "pending" || v.Hash != gap.Hash().String() {
		t.Fatalf("gap tx: %+v, %v", v, err)
	}
	_, err = tn.client.Submit(ctx, signedTx(testChain, key, 5, "rival"), false)
	wantAPIError(t, err, http.StatusConflict, "nonce_taken")
	// A transaction past a gap does not move the nonce to use next.
	if acc, err := tn.client.Account(ctx, key.Public().(ed25519.PublicKey)); err != nil || acc.PendingNonce != 0 {
		t.Fatalf("account with only nonce 5 pending: %+v, %v; want 0 to use next", acc, err)
	}
	_, err = tn.client.Submit(ctx, gap, false)
	wantAPIError(t, err, http.StatusConflict, "duplicate")
	if got := tn.mempoolTxs(t); got != "1" {
		t.Fatalf("mempool holds %s txs, want 1", got)
	}

	// Filling the gap lets all six commit, in nonce order.
	var fill []*types.Tx
	for n := uint64(0); n < 5; n++ {
		fill = append(fill, signedTx(testChain, key, n, "fill"))
	}
	if bv, err := tn.client.SubmitBatch(ctx, fill); err != nil || bv.Accepted != 5 {
		t.Fatalf("fill the gap: %+v, %v", bv, err)
	}
	waitFor(t, "the gap tx to commit", 10*time.Second, func() bool {
		v, err = tn.client.Tx(ctx, gap.Hash())
		return err == nil && v.Status == "committed"
	})
	if !v.OK || v.Nonce != 5 || v.Height < mustTx(t, tn, fill[4]).Height {
		t.Fatalf("gap tx %+v committed before nonce 4 (%+v)", v, mustTx(t, tn, fill[4]))
	}
	if acc, err := tn.client.Account(ctx, key.Public().(ed25519.PublicKey)); err != nil || acc.Nonce != 6 {
		t.Fatalf("account after the gap filled: %+v, %v", acc, err)
	}
}

// A batch sent without a declared length (chunked) is read as well as
// one with it.
func TestSubmitBatchChunked(t *testing.T) {
	tn := startNode(t)
	txs := []*types.Tx{signedTx(testChain, account(30), 0, "chunked"), signedTx(testChain, account(30), 1, "chunked")}
	body := io.MultiReader(bytes.NewReader(types.EncodeTxBatch(txs))) // hides the length
	resp, err := http.Post(tn.url+"/txs/batch", "application/octet-stream", body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var bv BatchView
	if resp.StatusCode != http.StatusOK || resp.Request.ContentLength > 0 || json.NewDecoder(resp.Body).Decode(&bv) != nil || bv.Accepted != 2 {
		t.Fatalf("chunked batch: HTTP %d, declared length %d, %+v", resp.StatusCode, resp.Request.ContentLength, bv)
	}
}

func TestSubmitBatch(t *testing.T) {
	tn := startNode(t)
	ctx := testCtx(t)
	const accounts, perAccount = 5, 100
	var txs []*types.Tx
	for n := 0; n < perAccount; n++ {
		for a := 0; a < accounts; a++ {
			txs = append(txs, signedTx(testChain, account(10+a), uint64(n), fmt.Sprintf("batch %d/%d", a, n)))
		}
	}
	bv, err := tn.client.SubmitBatch(ctx, txs)
	if err != nil || bv.Accepted != accounts*perAccount || len(bv.Rejected) != 0 {
		t.Fatalf("batch of %d: %+v, %v", len(txs), bv, err)
	}
	for a := 0; a < accounts; a++ {
		addr := account(10 + a).Public().(ed25519.PublicKey)
		waitFor(t, fmt.Sprintf("account %d to reach nonce %d", a, perAccount), 20*time.Second, func() bool {
			v, err := tn.client.Account(ctx, addr)
			return err == nil && v.Nonce == perAccount
		})
	}
	// The account's nonce is read from state applied ahead of the commit's
	// fsync, so the receipt may show up a moment later.
	for _, tx := range []*types.Tx{txs[0], txs[len(txs)-1]} {
		waitFor(t, "receipt of "+tx.Hash().Short(), 20*time.Second, func() bool { return mustTx(t, tn, tx).Status == "committed" })
		if v := mustTx(t, tn, tx); !v.OK {
			t.Fatalf("batch tx %s: %+v", tx.Hash().Short(), v)
		}
	}

	// The pool forgets committed transactions just after their commit is
	// stored; until then a resubmission reads as a duplicate, not stale.
	waitFor(t, "the pool to forget the committed batch", 10*time.Second, func() bool { return !tn.node.Pending(txs[0].Hash()) })

	// A mixed batch answers per index; the good ones still go in.
	key := account(20)
	good0, good1 := signedTx(testChain, key, 0, "g0"), signedTx(testChain, key, 1, "g1")
	badSig := signedTx(testChain, key, 2, "bad")
	badSig.Sig = append([]byte(nil), badSig.Sig...)
	badSig.Sig[7] ^= 0x40
	badSig, _ = types.DecodeTx(badSig.Encode()) // re-hash the tampered bytes
	mixed := []*types.Tx{good0, badSig, signedTx("other-chain", key, 3, "wc"), good1, good0, txs[0]}
	bv, err = tn.client.SubmitBatch(ctx, mixed)
	if err != nil {
		t.Fatal(err)
	}
	wantRejected := map[int]string{1: "bad_signature", 2: "wrong_chain", 4: "duplicate", 5: "stale_nonce"}
	if bv.Accepted != 2 || len(bv.Rejected) != len(wantRejected) {
		t.Fatalf("mixed batch: %+v", bv)
	}
	for _, rj := range bv.Rejected {
		if rj.Index == nil || wantRejected[*rj.Index] != rj.Code || rj.Message == "" {
			t.Fatalf("mixed batch rejection %+v (index %d), want %v", rj, derefIndex(rj.Index), wantRejected)
		}
	}
	waitFor(t, "mixed batch to commit", 10*time.Second, func() bool {
		v, err := tn.client.Account(ctx, key.Public().(ed25519.PublicKey))
		return err == nil && v.Nonce == 2
	})
	if _, err := tn.client.Tx(ctx, badSig.Hash()); err == nil {
		t.Fatal("bad-signature tx of a batch was committed")
	}
}

func TestMetrics(t *testing.T) {
	tn := startNode(t)
	waitFor(t, "a commit", 10*time.Second, func() bool {
		st, err := tn.client.Status(testCtx(t))
		return err == nil && st.Height > 0
	})
	r := tn.do(t, http.MethodGet, "/metrics", "", nil)
	if r.status != http.StatusOK || !strings.HasPrefix(r.ctype, "text/plain") {
		t.Fatalf("GET /metrics: HTTP %d %q", r.status, r.ctype)
	}
	for _, series := range []string{"# TYPE lazchain_height gauge", "\nlazchain_height ", "lazchain_round ", "lazchain_demoted_validators 0", "lazchain_leader_demotions_total 0", `lazchain_straggler_waits_total{outcome="missed"} 0`,
		"lazchain_mempool_txs ", "lazchain_commit_latency_seconds_bucket", "# TYPE lazchain_sig_batch_size histogram", "lazchain_tx_wait_seconds_count",
		`lazchain_round_phase_seconds_count{phase="round"}`, `lazchain_round_phase_seconds_count{phase="propose"}`, "go_goroutines ",
		"# TYPE lazchain_store_compactions_total counter", "lazchain_store_l0_sublevels ", "lazchain_store_write_stalls_total ",
		"# TYPE lazchain_timeouts_sent_total counter", "# TYPE lazchain_tcs_formed_total counter",
		`lazchain_sig_checks_total{on="caller"} `, `lazchain_sig_checks_total{on="worker"} `,
		"# TYPE go_sched_latencies_seconds histogram"} {
		if !strings.Contains(string(r.body), series) {
			t.Errorf("metrics lack %q", series)
		}
	}
	if strings.Contains(string(r.body), "\nlazchain_store_disk_bytes 0\n") || !strings.Contains(string(r.body), "\nlazchain_store_disk_bytes ") {
		t.Error("lazchain_store_disk_bytes missing or 0 with a database open")
	}
	if strings.Contains(string(r.body), "\nlazchain_height 0\n") {
		t.Error("lazchain_height is 0 after a commit")
	}
	// A lone validator runs rounds and proposes, so both phases have samples.
	for _, phase := range []string{"round", "propose"} {
		if line := `lazchain_round_phase_seconds_count{phase="` + phase + `"} 0`; strings.Contains(string(r.body), line+"\n") {
			t.Errorf("no %s phase timed after a commit", phase)
		}
	}
}

func TestValidators(t *testing.T) {
	tn := startNode(t)
	raw, err := tn.client.Validators(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Epoch      uint64 `json:"epoch"`
		Validators []struct {
			Index  int    `json:"index"`
			NodeID string `json:"node_id"`
			Stake  uint64 `json:"stake"`
		} `json:"validators"`
	}
	if err := json.Unmarshal(raw, &v); err != nil || v.Epoch != 0 || len(v.Validators) != 1 ||
		v.Validators[0].NodeID != tn.node.NodeID().String() || v.Validators[0].Stake != 1_000_000 {
		t.Fatalf("GET /validators: %s (%v)", raw, err)
	}
}

func derefIndex(i *int) int {
	if i == nil {
		return -1
	}
	return *i
}
