package cluster

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/config"
)

// cli runs the lazchain binary as a user would and returns its output.
func (c *cluster) cli(args ...string) string {
	c.t.Helper()
	out, err := exec.Command(binary, args...).CombinedOutput()
	if err != nil {
		c.t.Fatalf("lazchain %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (c *cluster) nodeID(i int) string {
	c.t.Helper()
	k, err := config.LoadNodeKey(filepath.Join(c.homes[i], config.NodeKeyFile))
	if err != nil {
		c.t.Fatal(err)
	}
	return hex.EncodeToString(k.Public().(ed25519.PublicKey))
}

type validatorsView struct {
	Epoch      uint64 `json:"epoch"`
	Validators []struct {
		Index    int    `json:"index"`
		Operator string `json:"operator"`
		Stake    uint64 `json:"stake"`
	} `json:"validators"`
}

func (c *cluster) validators(i int) validatorsView {
	c.t.Helper()
	raw, err := c.client(i).Validators(context.Background())
	if err != nil {
		c.t.Fatal(err)
	}
	var v validatorsView
	if err := json.Unmarshal(raw, &v); err != nil {
		c.t.Fatal(err)
	}
	return v
}

func (v validatorsView) has(operator string) bool {
	return slices.ContainsFunc(v.Validators, func(x struct {
		Index    int    `json:"index"`
		Operator string `json:"operator"`
		Stake    uint64 `json:"stake"`
	}) bool {
		return x.Operator == operator
	})
}

// waitFor polls cond until it holds or limit passes.
func (c *cluster) waitFor(what string, limit time.Duration, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// A new validator joins by create-validator and votes from the next epoch;
// a validator that unbonds all its stake leaves the set at the epoch after
// that. The chain keeps committing, and every node agrees on every block.
func TestValidatorJoinsAndLeaves(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five processes")
	}
	c := newCluster(t, 4, "--epoch-length", "20")
	for i := 0; i < 4; i++ {
		c.start(i)
	}
	c.waitHeight(2, 30*time.Second, 0)
	joiner := c.addNode("joiner")
	c.start(joiner)
	api0 := c.apis[0]
	newOp := c.nodeID(joiner)
	jcfg, err := config.Load(c.homes[joiner])
	if err != nil {
		t.Fatal(err)
	}

	// Fund the joiner's operator account (its node key) from node0's, then
	// register it with a self-bond above every genesis validator's stake.
	t.Log(c.cli("tx", "transfer", "--node", api0, "--key", filepath.Join(c.homes[0], config.NodeKeyFile), "--to", newOp, "--amount", "5000000"))
	t.Log(c.cli("tx", "stake", "create-validator", "--node", api0, "--key", filepath.Join(c.homes[joiner], config.NodeKeyFile),
		"--home", c.homes[joiner], "--name", "joiner", "--net-addr", jcfg.P2P.Listen, "--self-bond", "2000000"))
	joinedAt := c.validators(0).Epoch
	c.waitFor("the joiner in the active set", 90*time.Second, func() bool {
		v := c.validators(0)
		return v.Epoch > joinedAt && v.has(newOp)
	})
	c.waitFor("the joiner to vote", 60*time.Second, func() bool {
		st, err := c.client(joiner).Status(context.Background())
		return err == nil && st.ValidatorIndex >= 0 && st.Height > 0
	})
	joinEpoch := c.validators(0).Epoch
	top := c.height(0)
	c.waitHeight(top+5, 60*time.Second, 0, joiner)
	c.waitSigned(top, newOp)

	// node1 unbonds everything; it leaves the set at the next epoch.
	leaver := c.nodeID(1)
	c.cli("tx", "stake", "undelegate", "--node", api0, "--key", filepath.Join(c.homes[1], config.NodeKeyFile),
		"--validator", leaver, "--amount", fmt.Sprint(1_000_000))
	c.waitFor("node1 out of the active set", 90*time.Second, func() bool {
		return !c.validators(0).has(leaver)
	})
	// The query commands see the change: node1's account holds its
	// unbonding stake, and the epoch that node1 left has an end proof.
	if out := c.cli("query", "account", leaver, "--node", api0); !strings.Contains(out, `"unbonding": [`) || !strings.Contains(out, `"amount": 1000000`) {
		t.Fatalf("query account of the leaver:\n%s", out)
	}
	if out := c.cli("query", "epoch", fmt.Sprint(joinEpoch), "--node", api0); !strings.Contains(out, `"end_proof"`) || !strings.Contains(out, newOp) {
		t.Fatalf("query epoch %d:\n%s", joinEpoch, out)
	}
	top = c.height(0)
	c.waitHeight(top+5, 60*time.Second, 0, 2, 3, joiner)
	top = c.height(0)
	c.waitHeight(top, 60*time.Second, 0, 1, 2, 3, joiner)
	sameChains(t, c, top)

	// From the genesis file alone, every set change checks out, through
	// the joiner's arrival and node1's departure.
	last := c.validators(0).Epoch
	c.waitFor("the certificate of the latest epoch", 60*time.Second, func() bool {
		v, err := c.client(0).Epoch(context.Background(), last)
		return err == nil && v.Cert != nil
	})
	out := c.cli("verify", "epochs", "--genesis", filepath.Join(c.homes[0], config.GenesisFile), "--node", api0)
	t.Log(out)
	if !strings.Contains(out, fmt.Sprintf("verified: epoch %d's set", last)) {
		t.Fatalf("verify epochs:\n%s", out)
	}
}

// signedSince reports whether operator's index, in the set of each QC's
// own epoch, shows in the QC of some block above height from.
func (c *cluster) signedSince(from uint64, operator string) bool {
	c.t.Helper()
	index := map[uint64]int{} // epoch -> operator's index, -1 if absent
	indexIn := func(epoch uint64) int {
		if i, ok := index[epoch]; ok {
			return i
		}
		index[epoch] = -1
		raw, err := c.client(0).Get(context.Background(), fmt.Sprintf("/validators?epoch=%d", epoch))
		var v validatorsView
		if err == nil && json.Unmarshal(raw, &v) == nil {
			for _, x := range v.Validators {
				if x.Operator == operator {
					index[epoch] = x.Index
				}
			}
		}
		return index[epoch]
	}
	for h := from + 1; h <= c.height(0); h++ {
		b, err := c.client(0).Block(context.Background(), h, false)
		if err != nil || b.QC == nil {
			continue
		}
		if i := indexIn(b.QC.Epoch); i >= 0 && slices.Contains(b.QC.Signers, i) {
			return true
		}
	}
	return false
}

// waitSigned waits until operator shows in a QC above height from. A QC
// holds the first quorum of votes to arrive, so a slow validator may be
// left out of some; over a few dozen blocks an active one is not.
func (c *cluster) waitSigned(from uint64, operator string) {
	c.t.Helper()
	c.waitFor("a QC signed by "+operator[:8], 90*time.Second, func() bool { return c.signedSince(from, operator) })
}

// A validator killed with SIGKILL and kept down across several epoch
// changes is jailed for downtime (with a small slash) and leaves the set;
// restarted, it learns how each epoch it missed ended, catches up through
// them as a full node, agrees with the others on every block, unjails
// itself, and votes again from the next epoch.
func TestRestartAcrossEpochs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four processes")
	}
	c := newCluster(t, 4, "--epoch-length", "10")
	for i := 0; i < 4; i++ {
		c.start(i)
	}
	c.waitHeight(5, 30*time.Second, 0, 3)
	c.kill9(3)
	op := c.nodeID(3)
	c.waitFor("node3 out of the set for downtime", 90*time.Second, func() bool {
		return !c.validators(0).has(op)
	})
	down := c.validators(0).Epoch
	c.waitFor("two more epochs without node3", 90*time.Second, func() bool {
		return c.validators(0).Epoch >= down+2
	})
	if out := c.cli("query", "validators", "--all", "--node", c.apis[0]); !strings.Contains(out, `"jailed": true`) {
		t.Fatalf("node3 not jailed after missing whole epochs:\n%s", out)
	}

	c.start(3)
	c.waitFor("node3 to catch up with the others' epoch", 90*time.Second, func() bool {
		st, err := c.client(3).Status(context.Background())
		return err == nil && st.Epoch >= c.validators(0).Epoch
	})
	top := c.height(0)
	c.waitHeight(top, 60*time.Second, 3)
	sameChains(t, c, top)

	c.cli("tx", "stake", "unjail", "--node", c.apis[0], "--key", filepath.Join(c.homes[3], config.NodeKeyFile))
	c.waitFor("node3 back in the set and voting", 90*time.Second, func() bool {
		st, err := c.client(3).Status(context.Background())
		return c.validators(0).has(op) && err == nil && st.ValidatorIndex >= 0
	})
	top = c.height(0)
	c.waitHeight(top+5, 60*time.Second, 0, 1, 2, 3)
	c.waitSigned(top, op)
}
