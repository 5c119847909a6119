package cluster

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/rpc"
	"github.com/lazchain/lazchain/internal/types"
)

const disputeSchema = `{"columns":[{"name":"id","type":"int","required":true},{"name":"score","type":"float","required":true}]}`

var submittedRe = regexp.MustCompile(`submitted artifact ([0-9a-f]{64})`)

// The whole dispute story on real processes: two small validators (20% of
// stake) run a Byzantine verifier and form the whole committee of an
// iDAO; they certify a tampered dataset as valid; an honest user
// disputes it; the escalation to all validators rules for the challenger,
// slashes both signers and overturns the verdict, and `lazchain audit`
// proves the whole history offline. A frivolous dispute then loses its
// bond.
func TestDisputeOverturnsCollusion(t *testing.T) {
	// Short epochs: the audit then follows the validator sets through
	// epoch changes, fetched a page at a time.
	c := newCluster(t, 4, "--stakes", "100000,100000,400000,400000", "--epoch-length", "10")
	c.setFault(0)
	c.setFault(1)
	for i := 0; i < 4; i++ {
		c.start(i)
	}
	c.waitHeight(2, 30*time.Second, 0, 1, 2, 3)
	ctx := context.Background()
	dir := t.TempDir()
	key0 := filepath.Join(c.homes[0], config.NodeKeyFile)
	members := c.operator(0) + "," + c.operator(1)
	c.cli("idao", "create", "datasets", "--kinds", "dataset", "--committee-size", "2", "--challenge-window", "300",
		"--dispute-bond", "5000", "--members", members, "--key", key0, "--node", c.apis[0])

	schema := writeFile(t, dir, "schema.json", disputeSchema)
	tampered := writeFile(t, dir, "tampered.csv", "id,score\n1,0.5\n2,not-a-number\n3,0.7\n")
	out := c.cli("artifact", "submit", tampered, "--kind", "dataset", "--idao", "datasets", "--schema", schema,
		"--key", c.account(0), "--wait", "--node", c.apis[2])
	id := submittedID(t, out)
	if !strings.Contains(out, "verdict   valid") {
		t.Fatalf("the colluding committee did not certify the tampered dataset as valid:\n%s", out)
	}

	challenger := c.accountAddr(1)
	before := c.balance(challenger)
	out = c.cli("dispute", "open", id, "--claim", "wrong-verdict", "--note", "row 2 is not a float",
		"--key", c.account(1), "--wait", "--timeout", "3m", "--node", c.apis[3])
	if !strings.Contains(out, "for the challenger") {
		t.Fatalf("dispute was not ruled for the challenger:\n%s", out)
	}
	a, err := c.client(1).Artifact(ctx, mustHash(t, id))
	if err != nil || a.Status != "overturned" || a.Verdict != "invalid" || !strings.Contains(a.Reason, "row 2") {
		t.Fatalf("artifact after the ruling: %+v %v", a, err)
	}
	for i, want := range []uint64{90_000, 90_000, 400_000, 400_000} {
		if got := c.tokens(i); got != want {
			t.Errorf("validator %d has %d tokens after the ruling, want %d", i, got, want)
		}
	}
	if after := c.balance(challenger); after <= before {
		t.Errorf("challenger balance %d after winning, was %d: want the bond back plus a reward", after, before)
	}

	// The audit from the genesis file alone shows the whole history; a
	// bundle with one byte changed fails.
	c.waitHeight(25, 60*time.Second, 1) // past two epoch changes
	genesis := filepath.Join(c.homes[0], config.GenesisFile)
	bundle := filepath.Join(dir, "bundle.bin")
	out = c.cli("audit", id, "--genesis", genesis, "--node", c.apis[1], "--save", bundle)
	t.Logf("lazchain audit:\n%s", out)
	if strings.Contains(out, " 0 epoch change(s)") {
		t.Errorf("the audit crossed no epoch change; the test wants some:\n%s", out)
	}
	for _, want := range []string{"artifact.submitted", "artifact.attested", "dispute.opened", "dispute.ruled", "for the challenger", "verdict: invalid (overturned)"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit output lacks %q:\n%s", want, out)
		}
	}
	data, err := os.ReadFile(bundle)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 1
	forged := writeFile(t, dir, "forged.bin", string(data))
	if msg, err := exec.Command(binary, "audit", id, "--genesis", genesis, "--bundle", forged).CombinedOutput(); err == nil || !strings.Contains(string(msg), "audit check") {
		t.Errorf("audit of a tampered bundle: err %v, output:\n%s", err, msg)
	}
	if out := c.cli("audit", "chain", "--genesis", genesis, "--node", c.apis[2]); !strings.Contains(out, "verified") {
		t.Errorf("audit chain:\n%s", out)
	}

	// A frivolous dispute: the dataset is valid, so the ruling goes
	// against the challenger and the bond is forfeited. The colluders are
	// jailed now and may not sign ("datasets" can certify nothing until a
	// rotation draws members who are not): an iDAO of the honest two
	// checks it.
	key2 := filepath.Join(c.homes[2], config.NodeKeyFile)
	c.cli("idao", "create", "honest", "--kinds", "dataset", "--committee-size", "2", "--challenge-window", "300",
		"--dispute-bond", "5000", "--members", c.operator(2)+","+c.operator(3), "--key", key2, "--node", c.apis[2])
	good := writeFile(t, dir, "good.csv", "id,score\n1,0.5\n2,0.6\n")
	out = c.cli("artifact", "submit", good, "--kind", "dataset", "--idao", "honest", "--schema", schema,
		"--key", c.account(2), "--wait", "--node", c.apis[2])
	goodID := submittedID(t, out)
	frivolous := c.accountAddr(3)
	before = c.balance(frivolous)
	out = c.cli("dispute", "open", goodID, "--claim", "wrong-verdict", "--key", c.account(3), "--wait", "--timeout", "3m", "--node", c.apis[2])
	if !strings.Contains(out, "against the challenger") {
		t.Fatalf("frivolous dispute was not ruled against the challenger:\n%s", out)
	}
	if after := c.balance(frivolous); after != before-5000 {
		t.Errorf("frivolous challenger balance %d, want %d (bond forfeited)", after, before-5000)
	}
	if a, err := c.client(0).Artifact(ctx, mustHash(t, goodID)); err != nil || a.Verdict != "valid" || a.Status != "attested" {
		t.Errorf("upheld artifact: %+v %v", a, err)
	}
}

func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func submittedID(t *testing.T, out string) string {
	t.Helper()
	m := submittedRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no artifact id in:\n%s", out)
	}
	return m[1]
}

func (c *cluster) setFault(i int) {
	c.t.Helper()
	cfg, err := config.Load(c.homes[i])
	if err != nil {
		c.t.Fatal(err)
	}
	cfg.IDAO.Fault = config.FaultApproveAll
	if err := cfg.Save(c.homes[i]); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cluster) account(i int) string {
	return filepath.Join(filepath.Dir(c.homes[0]), "accounts", fmt.Sprintf("account%d.json", i))
}

func (c *cluster) accountAddr(i int) []byte {
	c.t.Helper()
	k, err := config.LoadNodeKey(c.account(i))
	if err != nil {
		c.t.Fatal(err)
	}
	return k.Public().(ed25519.PublicKey)
}

func (c *cluster) operator(i int) string {
	c.t.Helper()
	k, err := config.LoadNodeKey(filepath.Join(c.homes[i], config.NodeKeyFile))
	if err != nil {
		c.t.Fatal(err)
	}
	return fmt.Sprintf("%x", []byte(k.Public().(ed25519.PublicKey)))
}

func (c *cluster) balance(addr []byte) uint64 {
	c.t.Helper()
	a, err := c.client(0).Account(context.Background(), addr)
	if err != nil {
		c.t.Fatal(err)
	}
	return a.Balance
}

// tokens is validator i's bonded tokens as node 0 reports them.
func (c *cluster) tokens(i int) uint64 {
	c.t.Helper()
	var v struct {
		Validators []rpc.CandidateView `json:"validators"`
	}
	if err := c.client(0).GetJSON(context.Background(), "/staking/validators", &v); err != nil {
		c.t.Fatal(err)
	}
	op := c.operator(i)
	for _, x := range v.Validators {
		if x.Operator == op {
			return x.Tokens
		}
	}
	c.t.Fatalf("validator %d (%s) not listed", i, op)
	return 0
}

func mustHash(t *testing.T, s string) types.Hash {
	t.Helper()
	h, err := types.ParseHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
