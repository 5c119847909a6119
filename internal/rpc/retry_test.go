package rpc

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/types"
)

// A client repeats POST /txs?wait=true when the first got no answer (a
// dropped connection, the 504). The same transaction, pending, is waited
// for; committed, it is reported committed. Without wait a repeat is still
// refused as a duplicate or for its nonce.
func TestWaitRetryOfTheSameTransaction(t *testing.T) {
	tn := startNode(t)
	ctx := testCtx(t)
	key := account(55)
	gap := signedTx(testChain, key, 1, "retry") // behind a gap: stays pending
	if _, err := tn.client.Submit(ctx, gap, false); err != nil {
		t.Fatal(err)
	}
	_, err := tn.client.Submit(ctx, gap, false)
	wantAPIError(t, err, http.StatusConflict, "duplicate")

	type answer struct {
		v   SubmitView
		err error
	}
	retried := make(chan answer, 1)
	go func() {
		v, err := tn.client.Submit(ctx, gap, true) // the repeated wait
		retried <- answer{v, err}
	}()
	// The repeat is waiting (it holds a slot of the waiting gate), not
	// refused: it cannot answer before the gap is filled.
	for deadline := time.Now().Add(10 * time.Second); len(tn.srv.gates.waiting.slots) == 0; time.Sleep(time.Millisecond) {
		select {
		case a := <-retried:
			t.Fatalf("the repeated wait answered before the transaction could commit: %+v, %v", a.v, a.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the repeated wait never reached the server")
		}
	}
	if _, err := tn.client.Submit(ctx, signedTx(testChain, key, 0, "fill"), true); err != nil {
		t.Fatal(err)
	}
	a := <-retried
	if a.err != nil || a.v.Status != "committed" || a.v.Height == 0 {
		t.Fatalf("repeated wait: %+v, %v; want committed", a.v, a.err)
	}
	v, err := tn.client.Submit(ctx, gap, true) // again, once committed
	if err != nil || v.Status != "committed" || v.Height != a.v.Height {
		t.Fatalf("wait after the commit: %+v, %v; want committed at %d", v, err, a.v.Height)
	}
	_, err = tn.client.Submit(ctx, gap, false)
	wantAPIError(t, err, http.StatusConflict, "stale_nonce")
	// Another transaction with a used nonce is still refused, wait or not.
	_, err = tn.client.Submit(ctx, signedTx(testChain, key, 1, "other"), true)
	wantAPIError(t, err, http.StatusConflict, "stale_nonce")
}

// GET /txs/{hash} of an accepted transaction answers pending or committed
// while it commits, never 404: the handler read the receipt, then the
// pool, and a commit between the two reads fell through both.
func TestAcceptedTransactionIsNeverNotFound(t *testing.T) {
	tn := startNode(t)
	h := tn.srv.Handler()
	key := account(77)
	deadline := time.Now().Add(10 * time.Second)
	var notFound atomic.Int64
	for nonce := uint64(0); nonce < 60 && time.Now().Before(deadline); nonce++ {
		tx := signedTx(testChain, key, nonce, "race")
		if errs := tn.node.Submit([]*types.Tx{tx}); errs[0] != nil {
			t.Fatal(errs[0])
		}
		path := "/txs/" + tx.Hash().String()
		var done atomic.Bool
		var wg sync.WaitGroup
		for range 2 {
			wg.Go(func() {
				for !done.Load() && time.Now().Before(deadline) {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
					switch {
					case rec.Code == http.StatusNotFound:
						notFound.Add(1)
						done.Store(true)
					case rec.Code == http.StatusOK && !strings.Contains(rec.Body.String(), `"status":"pending"`):
						done.Store(true)
					}
				}
			})
		}
		wg.Wait()
	}
	if n := notFound.Load(); n > 0 {
		t.Fatalf("an accepted transaction read as not found %d times while it committed", n)
	}
}
