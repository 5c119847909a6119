package cluster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/rpc"
	"github.com/lazchain/lazchain/internal/types"
)

// TestIDAODisputesOverturnByzantineCertificates: node 0 runs with
// idao.fault = "approve-all" and is the only member of iDAO "solo", so it
// certifies on its own an invalid dataset and an artifact whose bytes
// nobody has, both as valid. Challenges escalate to all four validators:
// node 0 defends its certificates, the three honest ones (3/4 of the
// stake) rule for the challenger, and both rulings land: the artifacts
// are overturned and node 0 is slashed.
func TestIDAODisputesOverturnByzantineCertificates(t *testing.T) {
	c := newCluster(t, 4)
	c.setFault(0)
	for i := 0; i < 4; i++ {
		c.start(i)
	}
	c.waitHeight(2, 30*time.Second, 0, 1, 2, 3)
	key0 := filepath.Join(c.homes[0], config.NodeKeyFile)
	c.cli("idao", "create", "solo", "--kinds", "dataset", "--committee-size", "1", "--members", c.nodeID(0), "--key", key0, "--node", c.apis[0])
	ctx := context.Background()
	s := c.sender(1)

	bad := idao.Submit{IDAO: "solo", Kind: 1, Format: "csv", Schema: []byte(datasetSchema), Name: "bad"}
	if err := upload(ctx, c.client(1), csvDataset(randFor(5), 100, 3), 4096, &bad); err != nil {
		t.Fatal(err)
	}
	ghost := idao.Submit{IDAO: "solo", Kind: 1, Format: "csv", Schema: []byte(datasetSchema), Root: types.Hash{0xEE, 2}, Size: 5000, ChunkSize: 4096, Name: "ghost"}
	for _, sub := range []idao.Submit{bad, ghost} {
		if _, err := c.client(1).Submit(ctx, s.tx(idao.KindSubmit, sub.Encode()), true); err != nil {
			t.Fatal(err)
		}
	}
	badID, ghostID := idao.ArtifactID(bad), idao.ArtifactID(ghost)
	got := c.waitAttested([]types.Hash{badID, ghostID}, time.Minute)
	for _, id := range []types.Hash{badID, ghostID} {
		if got[id].Verdict != "valid" || len(got[id].Certificate.Signers) != 1 {
			t.Fatalf("the Byzantine member did not certify %x valid alone: %+v", id[:4], got[id])
		}
	}

	for _, ch := range []idao.Challenge{
		{Artifact: badID, Claim: idao.ClaimWrongVerdict, Bond: idao.DefaultPolicy().DisputeBond, Note: "row 3 is not a float"},
		{Artifact: ghostID, Claim: idao.ClaimUnavailable, Bond: idao.DefaultPolicy().DisputeBond},
	} {
		tx := s.tx(idao.KindChallenge, ch.Encode())
		if _, err := c.client(2).Submit(ctx, tx, true); err != nil {
			t.Fatal(err)
		}
		if r, err := c.client(2).Tx(ctx, tx.Hash()); err != nil || !r.OK {
			t.Fatalf("challenge %s: %+v %v", ch.Claim, r, err)
		}
	}
	start := time.Now()
	ids := map[types.Hash]types.Hash{badID: idao.DisputeID(badID, idao.ClaimWrongVerdict), ghostID: idao.DisputeID(ghostID, idao.ClaimUnavailable)}
	disputes := map[types.Hash]rpc.DisputeView{}
	c.waitFor("both disputes ruled", 3*time.Minute, func() bool {
		for art, id := range ids {
			if d, err := c.client(3).Dispute(ctx, id); err == nil && d.Status != "open" {
				disputes[art] = d
			}
		}
		return len(disputes) == 2
	})
	t.Logf("both disputes ruled in %s", time.Since(start).Round(time.Millisecond))
	for art, d := range disputes {
		if d.Status != "upheld" || d.Ruling == nil || !d.Ruling.ForChallenger || d.Ruling.Verdict != "invalid" {
			t.Fatalf("dispute over %x: %+v ruling %+v", art[:4], d, d.Ruling)
		}
		if d.Ruling.SlashedCount != 1 || d.Ruling.Slashed == 0 {
			t.Fatalf("dispute over %x: the wrong certificate's signer was not slashed: %+v", art[:4], d.Ruling)
		}
		if d.Ruling.SignedPower*3 <= d.Ruling.TotalPower*2 || len(d.Ruling.Signers) != 3 {
			t.Fatalf("dispute over %x: ruling signed by %v (%d of %d)", art[:4], d.Ruling.Signers, d.Ruling.SignedPower, d.Ruling.TotalPower)
		}
	}
	if r := disputes[badID].Ruling.Reason; !strings.Contains(r, "row 3") {
		t.Fatalf("the wrong-verdict ruling's reason %q does not name row 3", r)
	}
	if r := disputes[ghostID].Ruling.Reason; r != idao.UnavailableResult.Reason {
		t.Fatalf("the unavailability ruling's reason is %q", r)
	}
	// Node 3 reported the rulings; node 1 may be a block behind it.
	c.waitHeight(c.height(3), 30*time.Second, 1)
	for _, id := range []types.Hash{badID, ghostID} {
		v, err := c.artifact(1, id)
		if err != nil || v.Status != "overturned" || v.Verdict != "invalid" {
			t.Fatalf("artifact %x after the ruling: %+v %v", id[:4], v, err)
		}
	}

	log, err := os.ReadFile(filepath.Join(c.homes[0], "node.log"))
	if err != nil || !strings.Contains(string(log), "BYZANTINE NODE") {
		t.Fatalf("node 0 did not warn that it is Byzantine (%v)", err)
	}
}
