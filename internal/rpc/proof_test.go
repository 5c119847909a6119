package rpc

import (
	"bytes"
	"fmt"
	"github.com/lazchain/lazchain/internal/audit"
	"github.com/lazchain/lazchain/internal/codec"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/light"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/types"
)

// The audit routes refuse malformed input with a 4xx JSON error, and the
// header route serves headers that chain to each other.
func TestAuditRoutes(t *testing.T) {
	tn := startNode(t)
	ctx := testCtx(t)
	zero := "0000000000000000000000000000000000000000000000000000000000000000"
	checkBadGets(t, tn, []badGet{
		{"/artifacts/xyz/proof", http.StatusBadRequest, "bad_id"},
		{"/artifacts/" + zero + "/proof", http.StatusNotFound, "not_found"},
		{"/artifacts/" + zero + "/proof?from_epoch=x", http.StatusBadRequest, "bad_from_epoch"},
		{"/artifacts/" + zero + "/proof?from_epoch=-1", http.StatusBadRequest, "bad_from_epoch"},
		{"/artifacts/" + zero + "/proof?from_epoch=18446744073709551616", http.StatusBadRequest, "bad_from_epoch"},
		{"/artifacts/" + zero + "/proof?from_epoch=5", http.StatusNotFound, "not_found"},
		{"/headers", http.StatusBadRequest, "bad_from"},
		{"/headers?from=0", http.StatusBadRequest, "bad_from"},
		{"/headers?from=x", http.StatusBadRequest, "bad_from"},
		{"/headers?from=1&limit=0", http.StatusBadRequest, "bad_limit"},
		{"/headers?from=1&limit=1001", http.StatusBadRequest, "bad_limit"},
	})
	if _, err := tn.client.ArtifactProof(ctx, types.Hash{}, time.Second); err == nil {
		t.Fatal("proof of an unknown artifact succeeded")
	}
	waitFor(t, "height 4", 20*time.Second, func() bool { st, err := tn.client.Status(ctx); return err == nil && st.Height >= 4 })
	hs, err := tn.client.Headers(ctx, 1, 3)
	if err != nil || len(hs) != 3 {
		t.Fatalf("headers: %d, %v", len(hs), err)
	}
	for i := 1; i < len(hs); i++ {
		if hs[i].Parent != hs[i-1].ID() || hs[i].QC.BlockID != hs[i-1].ID() {
			t.Fatalf("header %d does not extend header %d", hs[i].Height, hs[i-1].Height)
		}
	}
	if far, err := tn.client.Headers(ctx, 1<<40, 10); err != nil || len(far) != 0 {
		t.Fatalf("headers beyond the tip: %d, %v", len(far), err)
	}
}

// The epoch chain is served a page at a time (a chain's whole history
// does not fit one answer): the pages follow from genesis, each step
// proven by the set before it, and a page ends at its bounds.
func TestEpochStepsPaged(t *testing.T) {
	tn := startNodeGenesis(t, func(g *config.Genesis) {
		p := staking.DefaultParams()
		p.EpochLength = 5
		g.Staking = &p
	})
	ctx := testCtx(t)
	checkBadGets(t, tn, []badGet{
		{"/epochs", http.StatusBadRequest, "bad_from"},
		{"/epochs?from=x", http.StatusBadRequest, "bad_from"},
	})
	waitFor(t, "epoch 3", 60*time.Second, func() bool {
		st, err := tn.client.Status(ctx)
		return err == nil && st.Epoch >= 3
	})
	g := testGenesis(t)
	gs, err := g.State()
	if err != nil {
		t.Fatal(err)
	}
	st, err := staking.Genesis(g.ChainID, gs.Params, gs.Validators)
	if err != nil {
		t.Fatal(err)
	}
	cur := &state.Epoch{Number: 0, EndHeight: 5, Set: st.Active()}
	for cur.Number < 3 {
		var page []audit.EpochStep
		// The newest epoch's certificate may still be being signed: the
		// node answers 503 until it is.
		waitFor(t, fmt.Sprintf("a page after epoch %d", cur.Number), 30*time.Second, func() bool {
			page, err = tn.client.EpochSteps(ctx, cur.Number)
			return err == nil && len(page) > 0
		})
		for _, s := range page {
			e, err1 := state.DecodeEpoch(s.Epoch)
			c, err2 := types.DecodeEpochCert(s.Cert)
			if err1 != nil || err2 != nil {
				t.Fatalf("step after epoch %d: %v %v", cur.Number, err1, err2)
			}
			if cur, err = light.Next(testChain, cur, light.Step{Epoch: e, Cert: c}); err != nil {
				t.Fatalf("step does not follow: %v", err)
			}
		}
	}
	for _, from := range []uint64{1 << 40, math.MaxUint64} { // the last once wrapped to epoch 0
		if page, err := tn.client.EpochSteps(ctx, from); err != nil || len(page) != 0 {
			t.Fatalf("epochs after %d: %d, %v", from, len(page), err)
		}
	}
	for _, c := range []struct{ limit, bytes, want int }{{2, 1 << 20, 2}, {10, 1, 1}} {
		steps, err := tn.node.EpochSteps(0, c.limit, c.bytes)
		if err != nil || len(steps) != c.want {
			t.Fatalf("limit %d, %d bytes: %d steps, %v", c.limit, c.bytes, len(steps), err)
		}
	}
}

// The /epochs answer decoder takes a node's bytes: anything decodes or is
// refused, without a panic, and what decodes re-encodes to the input.
func FuzzDecodeEpochSteps(f *testing.F) {
	w := codec.NewWriter(64)
	w.U32(2)
	w.VarBytes([]byte("epoch one"))
	w.VarBytes([]byte("cert one"))
	w.VarBytes(nil)
	w.VarBytes([]byte{1})
	f.Add(w.Bytes())
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		steps, err := decodeEpochSteps(data)
		if err != nil {
			return
		}
		w := codec.NewWriter(len(data))
		w.U32(uint32(len(steps)))
		for _, s := range steps {
			w.VarBytes(s.Epoch)
			w.VarBytes(s.Cert)
		}
		if !bytes.Equal(w.Bytes(), data) {
			t.Fatalf("%x decoded to %d steps that re-encode as %x", data, len(steps), w.Bytes())
		}
	})
}
