package attestor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/blobnet"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// A check whose verifier reached no verdict stops its fetch: the member
// will not vote either way, and a peer that never answers kept the worker
// for as long as blobnet kept asking.
func TestCheckEndsWhenTheVerifierGivesUp(t *testing.T) {
	fetching := make(chan struct{})
	r := newCheckRig(t, testBytes(5000), func(_ *checkRig, ctx context.Context) error {
		close(fetching)
		<-ctx.Done() // a peer that never answers
		return ctx.Err()
	})
	r.a.cfg.Verify = func(context.Context, verify.Input) (verify.Result, error) {
		return verify.Result{}, errors.New("no verdict")
	}
	done := make(chan bool, 1)
	go func() { _, ok := r.a.check(context.Background(), r.job); done <- ok }()
	<-fetching
	select {
	case ok := <-done:
		if ok {
			t.Fatal("a check with no verdict reported one")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the check still waits for the fetch after its verifier gave up")
	}
}

// memRecords keeps an idao state's records in memory.
type memRecords struct {
	arts  map[types.Hash]*idao.Artifact
	comms map[string]*idao.Committee
}

func (r *memRecords) Artifact(id types.Hash) (*idao.Artifact, bool) {
	a, ok := r.arts[id]
	return a, ok
}
func (r *memRecords) PutArtifact(a *idao.Artifact)             { r.arts[a.ID] = a }
func (r *memRecords) Dispute(types.Hash) (*idao.Dispute, bool) { return nil, false }
func (r *memRecords) PutDispute(*idao.Dispute)                 {}
func (r *memRecords) Committee(name string, rot uint64) (*idao.Committee, bool) {
	c, ok := r.comms[fmt.Sprint(name, rot)]
	return c, ok
}
func (r *memRecords) PutCommittee(c *idao.Committee) { r.comms[fmt.Sprint(c.IDAO, c.Rotation)] = c }
func (r *memRecords) Emit(idao.Event)                {}

// Run returns only once every goroutine it started has stopped: the node
// closes its store right after, and a job still running reads it.
func TestRunWaitsForItsWorkers(t *testing.T) {
	k, _ := bls.GenerateKey(bytes.Repeat([]byte{1}, 32))
	op := staking.Address{1}
	stk, err := staking.Genesis(testChain, staking.DefaultParams(), []staking.GenesisValidator{{Operator: op, NodeID: [32]byte{1},
		BLSKey: k.PublicKey().Bytes(), PoP: k.ProvePossession(), Name: "v0", Stake: 10_000}})
	if err != nil {
		t.Fatal(err)
	}
	dao, err := idao.New(testChain, idao.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	rec := &memRecords{arts: map[types.Hash]*idao.Artifact{}, comms: map[string]*idao.Committee{}}
	bank := staking.MapBank{}
	bank.SetBalance(op, 1_000_000)
	ctx := idao.Ctx{Bank: bank, Staking: stk, Records: rec, Height: 1}
	if err := dao.Exec(ctx, op, idao.KindCreate, idao.Create{Name: "data", Policy: idao.DefaultPolicy(), Members: []staking.Address{op}}.Encode()); err != nil {
		t.Fatal(err)
	}
	sub := idao.Submit{IDAO: "data", Kind: verify.KindDataset, Format: "csv", Root: types.Hash{0xB0}, Size: 100,
		ChunkSize: idao.MinChunkSize, Fee: idao.DefaultPolicy().SubmitFee}
	if err := dao.Exec(ctx, op, idao.KindSubmit, sub.Encode()); err != nil {
		t.Fatal(err)
	}
	art := rec.arts[idao.ArtifactID(sub)]
	verifying, release := make(chan struct{}, 1), make(chan struct{})
	a := New(Config{ChainID: testChain, Key: k, Chain: &fakeChain{dao: dao, stk: stk, art: art}, Log: slog.New(slog.DiscardHandler), Workers: 1,
		Fetch: func(context.Context, blobnet.Want) error { return nil },
		Verify: func(context.Context, verify.Input) (verify.Result, error) {
			verifying <- struct{}{}
			<-release // a step that does not look at ctx
			return verify.Result{}, errors.New("stopped")
		},
		Send:   func(p2p.NodeID, []byte) bool { return true },
		Submit: func(uint16, []byte) error { return nil },
	})
	runCtx, cancel := context.WithCancel(context.Background())
	a.mu.Lock()
	a.pool(runCtx, "data").jobs <- job{id: art.ID, name: "data", rotation: 1}
	a.mu.Unlock()
	ran := make(chan struct{})
	go func() { a.Run(runCtx); close(ran) }()
	<-verifying
	cancel()
	select {
	case <-ran:
		t.Fatal("Run returned while a worker was still checking an artifact")
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return once its workers stopped")
	}
}

// What the attestor remembers of an artifact goes once the artifact is
// settled or expired, a retry time included (it kept one for every
// artifact it never managed to fetch), and a check still running on it
// is stopped.
func TestSettledArtifactsForgotten(t *testing.T) {
	dao, err := idao.New(testChain, idao.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	k, _ := bls.GenerateKey(bytes.Repeat([]byte{1}, 32))
	a := New(Config{ChainID: testChain, Key: k, Chain: &fakeChain{dao: dao}, Log: slog.New(slog.DiscardHandler)})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	gone := types.HashOf([]byte("expired"))
	a.mu.Lock()
	a.retry[gone] = time.Now().Add(time.Hour)
	a.stopCheck[gone] = stop
	rot, _ := dao.Rotation()
	a.gc(dao, rot, time.Now())
	left := len(a.retry)
	a.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d retry times of artifacts no longer pending kept", left)
	}
	if ctx.Err() == nil {
		t.Fatal("the check of an artifact no longer pending goes on")
	}
}
