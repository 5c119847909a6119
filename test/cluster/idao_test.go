package cluster

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/rpc"
	"github.com/lazchain/lazchain/internal/types"
)

// sender signs transactions for one account with locally counted nonces.
type sender struct {
	key   ed25519.PrivateKey
	nonce uint64
}

func (c *cluster) sender(i int) *sender {
	c.t.Helper()
	k, err := config.LoadNodeKey(filepath.Join(filepath.Dir(c.homes[0]), "accounts", fmt.Sprintf("account%d.json", i)))
	if err != nil {
		c.t.Fatal(err)
	}
	acc, err := c.client(0).Account(context.Background(), k.Public().(ed25519.PublicKey))
	if err != nil {
		c.t.Fatal(err)
	}
	return &sender{key: k, nonce: acc.Nonce}
}

func (s *sender) tx(kind uint16, body []byte) *types.Tx {
	tx := &types.Tx{ChainID: "cluster-test", Nonce: s.nonce, Kind: kind, Body: body}
	tx.Sign(s.key)
	s.nonce++
	return tx
}

func (c *cluster) artifact(i int, id types.Hash) (rpc.ArtifactView, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.client(i).Artifact(ctx, id)
}

// waitAttested waits until every artifact has its certificate.
func (c *cluster) waitAttested(ids []types.Hash, limit time.Duration) map[types.Hash]rpc.ArtifactView {
	c.t.Helper()
	out := map[types.Hash]rpc.ArtifactView{}
	c.waitFor("every artifact attested", limit, func() bool {
		for _, id := range ids {
			if _, ok := out[id]; ok {
				continue
			}
			if v, err := c.artifact(0, id); err == nil && v.Status == "attested" {
				out[id] = v
			}
		}
		return len(out) == len(ids)
	})
	return out
}

// idaoCluster starts a 4-validator cluster (with node indices in paused
// doing no committee work) and has node0's operator create the named
// iDAOs, each "name=kinds", with all validators as members.
func idaoCluster(t *testing.T, paused []int, idaos ...string) *cluster {
	t.Helper()
	c := newCluster(t, 4)
	for _, i := range paused {
		c.setPaused(i, true)
	}
	for i := 0; i < 4; i++ {
		c.start(i)
	}
	c.waitHeight(2, 30*time.Second, 0, 1, 2, 3)
	key0 := filepath.Join(c.homes[0], config.NodeKeyFile)
	for _, d := range idaos {
		name, kinds, _ := strings.Cut(d, "=")
		c.cli("idao", "create", name, "--kinds", kinds, "--committee-size", "4", "--key", key0, "--node", c.apis[0])
	}
	return c
}

func TestIDAOsVerifyArtifactsInParallel(t *testing.T) {
	c := idaoCluster(t, nil, "data=dataset,model", "compute=agent-run")
	if out := c.cli("idao", "list", "--node", c.apis[1]); !strings.Contains(out, `"compute"`) || !strings.Contains(out, `"data"`) {
		t.Fatalf("idao list does not show both iDAOs:\n%s", out)
	}

	// 100 artifacts of mixed kinds, uploaded to different nodes: each
	// committee member fetches what it lacks from its peers.
	ctx := context.Background()
	fixtures := mixedFixtures(7, 100)
	senders := []*sender{c.sender(0), c.sender(1), c.sender(2), c.sender(3)}
	var txs []*types.Tx
	var ids []types.Hash
	for i := range fixtures {
		f := &fixtures[i]
		if err := upload(ctx, c.client(i%4), f.data, 4096, &f.sub); err != nil {
			t.Fatalf("upload %d: %v", i, err)
		}
		txs = append(txs, senders[i%4].tx(idao.KindSubmit, f.sub.Encode()))
		ids = append(ids, idao.ArtifactID(f.sub))
	}
	if r, err := c.client(0).SubmitBatch(ctx, txs); err != nil || len(r.Rejected) > 0 {
		t.Fatalf("submit batch: %+v %v", r, err)
	}
	start := time.Now()
	got := c.waitAttested(ids, 3*time.Minute)
	t.Logf("100 artifacts attested in %s", time.Since(start).Round(time.Millisecond))
	for i, f := range fixtures {
		v := got[ids[i]]
		if (v.Verdict == "valid") != f.valid {
			t.Errorf("artifact %d (%s %s): verdict %s (%s), want valid=%v", i, f.sub.Kind, f.sub.Format, v.Verdict, v.Reason, f.valid)
		}
		if !f.valid && !strings.Contains(v.Reason, f.reason) {
			t.Errorf("artifact %d: reason %q does not mention %q", i, v.Reason, f.reason)
		}
		if v.Certificate == nil || v.Certificate.SignedPower*3 <= v.Certificate.CommitteePower*2 {
			t.Errorf("artifact %d: certificate %+v does not carry more than 2/3 of the committee's stake", i, v.Certificate)
		}
	}
	// Every node anchored the same verdicts (once it has reached node 0's
	// height), and a node that ran the looping module still commits blocks.
	c.waitHeight(c.height(0), 30*time.Second, 1, 2, 3)
	for n := 1; n < 4; n++ {
		for i, id := range ids {
			if v, err := c.artifact(n, id); err != nil || v.Digest != got[id].Digest || v.Verdict != got[id].Verdict {
				t.Fatalf("node %d disagrees on artifact %d: %+v %v", n, i, v, err)
			}
		}
	}
	// The request and the verdict are events of their blocks.
	first := got[ids[0]]
	for _, want := range []struct {
		height uint64
		typ    string
	}{{first.Height, "artifact.submitted"}, {first.Certificate.Height, "artifact.attested"}} {
		var evs struct {
			Events []rpc.EventView `json:"events"`
		}
		if err := c.client(3).GetJSON(ctx, "/blocks/"+strconv.FormatUint(want.height, 10)+"/events", &evs); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, e := range evs.Events {
			found = found || (e.Type == want.typ && e.Artifact == first.ID)
		}
		if !found {
			t.Fatalf("block %d has no %s event for artifact 0: %+v", want.height, want.typ, evs.Events)
		}
	}
	h := c.height(0)
	c.waitHeight(h+3, 30*time.Second, 0, 1, 2, 3)
	if out := c.cli("artifact", "show", hexID(ids[0]), "--node", c.apis[2]); !strings.Contains(out, "row 3") {
		t.Fatalf("artifact show lacks the bad row:\n%s", out)
	}

	// A tampered chunk is refused by the store and never kept.
	data := csvDataset(randFor(9), 2000, 0)
	tampered := blobWithBadChunk(t, c.client(2), data)
	var apiErr *rpc.APIError
	if !errors.As(tampered, &apiErr) || apiErr.Status >= 500 {
		t.Fatalf("tampered chunk: %v, want a 4xx error", tampered)
	}
}

func hexID(h types.Hash) string { return hex.EncodeToString(h[:]) }

func randFor(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 2)) }

func manifestOf(data []byte, chunk int) (*blob.Manifest, error) {
	split, err := merkle.Split(bytes.NewReader(data), chunk, nil)
	if err != nil {
		return nil, err
	}
	return &blob.Manifest{Root: split.Root, Size: split.Size, ChunkSize: chunk, Leaves: split.Leaves}, nil
}

// blobWithBadChunk announces data's manifest and sends chunk 0 with one
// bit flipped; it returns the node's answer to that chunk.
func blobWithBadChunk(t *testing.T, c *rpc.Client, data []byte) error {
	t.Helper()
	m, err := manifestOf(data, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutManifest(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), data[:4096]...)
	bad[100] ^= 1
	err = c.PutChunk(context.Background(), m.Root, 0, bad)
	if v, verr := c.Blob(context.Background(), m.Root); verr == nil && len(v.Missing) == 0 {
		t.Fatal("the tampered chunk was kept")
	}
	return err
}

// TestIDAOThresholdWithMembersDown: with one of four committee members
// not working the others still certify; with two out no certificate
// forms, and one forged with too little stake is refused on-chain.
func TestIDAOThresholdWithMembersDown(t *testing.T) {
	c := idaoCluster(t, []int{3}, "data=dataset")
	ctx := context.Background()
	s := c.sender(1)
	submit := func(seed uint64) types.Hash {
		sub := idao.Submit{IDAO: "data", Kind: 1, Format: "csv", Schema: []byte(datasetSchema), Name: "d"}
		if err := upload(ctx, c.client(0), csvDataset(randFor(seed), 100, 0), 4096, &sub); err != nil {
			t.Fatal(err)
		}
		if _, err := c.client(1).Submit(ctx, s.tx(idao.KindSubmit, sub.Encode()), true); err != nil {
			t.Fatal(err)
		}
		return idao.ArtifactID(sub)
	}
	one := submit(1)
	v := c.waitAttested([]types.Hash{one}, time.Minute)[one]
	if v.Verdict != "valid" || len(v.Certificate.Signers) != 3 {
		t.Fatalf("with one member out: %+v", v.Certificate)
	}

	c.stopNode(2)
	c.setPaused(2, true)
	c.start(2)
	c.waitHeight(c.height(0)+2, 30*time.Second, 0, 1, 2)
	two := submit(2)
	time.Sleep(8 * time.Second)
	if v, err := c.artifact(0, two); err != nil || v.Status != "pending" {
		t.Fatalf("with two of four members out: %+v %v, want still pending", v, err)
	}
	// Members 0 and 1 sign a certificate themselves: half the stake is
	// not more than two thirds, and the chain says so.
	forged := c.forgeAttest(two, 0, 1)
	ftx := s.tx(idao.KindAttest, forged.Encode())
	if _, err := c.client(0).Submit(ctx, ftx, true); err != nil {
		t.Fatal(err)
	}
	tv, err := c.client(0).Tx(ctx, ftx.Hash())
	if err != nil || tv.OK || !strings.Contains(tv.Result, "bad certificate") {
		t.Fatalf("forged certificate receipt: %+v %v", tv, err)
	}
	if v, _ := c.artifact(0, two); v.Status != "pending" {
		t.Fatalf("a forged certificate settled the artifact: %+v", v)
	}
	// Member 2 comes back: the certificate forms.
	c.stopNode(2)
	c.setPaused(2, false)
	c.start(2)
	v = c.waitAttested([]types.Hash{two}, time.Minute)[two]
	if v.Verdict != "valid" {
		t.Fatalf("after member 2 returned: %+v", v)
	}
}

func (c *cluster) setPaused(i int, paused bool) {
	c.t.Helper()
	cfg, err := config.Load(c.homes[i])
	if err != nil {
		c.t.Fatal(err)
	}
	cfg.IDAO.Paused = paused
	if err := cfg.Save(c.homes[i]); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cluster) stopNode(i int) {
	if p := c.procs[i]; p != nil {
		p.cmd.Process.Signal(syscall.SIGTERM)
		<-p.done
	}
	c.procs[i] = nil
}

// forgeAttest signs a valid verdict over id with the BLS keys of the
// given committee seats (the committee is all four validators, sorted by
// operator).
func (c *cluster) forgeAttest(id types.Hash, seats ...int) idao.Attest {
	c.t.Helper()
	var com rpc.CommitteeView
	art, _ := c.artifact(0, id)
	if err := c.client(0).GetJSON(context.Background(), "/idaos/data/committees/"+strconv.FormatUint(art.Rotation, 10), &com); err != nil {
		c.t.Fatal(err)
	}
	keys := map[string]*bls.SecretKey{}
	for i := 0; i < 4; i++ {
		k, err := config.LoadBLSKey(filepath.Join(c.homes[i], config.BLSKeyFile))
		if err != nil {
			c.t.Fatal(err)
		}
		keys[c.nodeID(i)] = k
	}
	var digest types.Hash
	msg := idao.VoteBytes("cluster-test", "data", id, true, digest, art.Rotation)
	bm := types.NewBitmap(len(com.Seats))
	var sigs [][]byte
	for _, s := range seats {
		bm.Set(s)
		sigs = append(sigs, keys[com.Seats[s].Operator].Sign(msg))
	}
	agg, err := (bls.Scheme{}).Aggregate(sigs)
	if err != nil {
		c.t.Fatal(err)
	}
	return idao.Attest{Artifact: id, Verdict: true, Digest: digest, Rotation: art.Rotation, Signers: bm, Sig: agg}
}

// TestIDAOBatchFallsBackToSingleVotes: a block's submissions form one
// batch; one of them has no bytes anywhere, so no member can vote on the
// batch. The others must still be certified, one by one, and the
// unavailable one must stay pending: no member vouches for data it lacks.
func TestIDAOBatchFallsBackToSingleVotes(t *testing.T) {
	c := idaoCluster(t, nil, "data=dataset")
	ctx := context.Background()
	s := c.sender(0)
	var txs []*types.Tx
	var ids []types.Hash
	for i := 0; i < 4; i++ {
		sub := idao.Submit{IDAO: "data", Kind: 1, Format: "csv", Schema: []byte(datasetSchema), Name: fmt.Sprint("d", i)}
		if err := upload(ctx, c.client(i), csvDataset(randFor(uint64(20+i)), 60, 0), 4096, &sub); err != nil {
			t.Fatal(err)
		}
		txs = append(txs, s.tx(idao.KindSubmit, sub.Encode()))
		ids = append(ids, idao.ArtifactID(sub))
	}
	ghost := idao.Submit{IDAO: "data", Kind: 1, Format: "csv", Root: types.Hash{0xEE, 1}, Size: 5000, ChunkSize: 4096, Name: "ghost"}
	txs = append(txs, s.tx(idao.KindSubmit, ghost.Encode()))
	if r, err := c.client(0).SubmitBatch(ctx, txs); err != nil || len(r.Rejected) > 0 {
		t.Fatalf("submit: %+v %v", r, err)
	}
	got := c.waitAttested(ids, 90*time.Second)
	for i, id := range ids {
		if got[id].Verdict != "valid" {
			t.Fatalf("artifact %d: %+v", i, got[id])
		}
	}
	v, err := c.artifact(0, idao.ArtifactID(ghost))
	// Pending, or expired if the run outlasted idao.PendingRotations.
	if err != nil || (v.Status != "pending" && v.Status != "expired") {
		t.Fatalf("the artifact nobody holds: %+v %v, want no certificate", v, err)
	}
}
