package cluster

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
)

// Anyone can report a double vote by transaction: the chain checks both
// signatures against the epoch's set, slashes and jails the signer, pays
// the reporter, lists the offense, and the signer leaves the active set at
// the next epoch. The same evidence again is refused.
func TestDoubleVoteEvidenceSlashes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four processes")
	}
	c := newCluster(t, 4, "--epoch-length", "20")
	for i := 0; i < 4; i++ {
		c.start(i)
	}
	c.waitHeight(2, 30*time.Second, 0)
	ctx := context.Background()
	st, err := c.client(0).Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v := c.validators(0)
	offender := c.nodeID(3)
	idx := -1
	for _, x := range v.Validators {
		if x.Operator == offender {
			idx = x.Index
		}
	}
	// node3's BLS key signs two votes for two blocks in one round, as a
	// faulty or malicious validator would.
	bk, err := config.LoadBLSKey(filepath.Join(c.homes[3], config.BLSKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	round := st.Round + 1000 // a round nobody reaches soon: the votes harm no one
	a, b := types.HashOf([]byte("block a")), types.HashOf([]byte("block b"))
	ev := staking.Evidence{Kind: staking.EvidenceVote, Epoch: v.Epoch, Round: round, Signer: uint32(idx), BlockA: a, BlockB: b,
		SigA: bk.Sign(types.VoteSigningBytes(st.ChainID, v.Epoch, round, a)),
		SigB: bk.Sign(types.VoteSigningBytes(st.ChainID, v.Epoch, round, b))}

	reporter := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	submit := func(nonce uint64) (ok bool, result string) {
		tx := &types.Tx{ChainID: st.ChainID, Nonce: nonce, Kind: staking.KindEvidence, Body: ev.Encode()}
		tx.Sign(reporter)
		if _, err := c.client(0).Submit(ctx, tx, true); err != nil {
			t.Fatal(err)
		}
		r, err := c.client(0).Tx(ctx, tx.Hash())
		if err != nil {
			t.Fatal(err)
		}
		return r.OK, r.Result
	}
	if ok, res := submit(0); !ok {
		t.Fatalf("evidence refused: %s", res)
	}
	if ok, res := submit(1); ok || res != staking.DuplicateEvidence.String() {
		t.Fatalf("the same evidence again: ok=%v %q", ok, res)
	}

	acc, err := c.client(0).Account(ctx, reporter.Public().(ed25519.PublicKey))
	if err != nil || acc.Balance == 0 {
		t.Fatalf("reporter was not paid: %+v %v", acc, err)
	}
	raw, err := c.client(0).Get(ctx, "/staking/validators")
	if err != nil {
		t.Fatal(err)
	}
	var cands struct {
		Validators []struct {
			Operator string `json:"operator"`
			Tokens   uint64 `json:"tokens"`
			Jailed   bool   `json:"jailed"`
		} `json:"validators"`
	}
	if err := json.Unmarshal(raw, &cands); err != nil {
		t.Fatal(err)
	}
	for _, x := range cands.Validators {
		if x.Operator == offender && (!x.Jailed || x.Tokens >= 1_000_000) {
			t.Fatalf("offender after the evidence: %+v", x)
		}
	}
	raw, err = c.client(0).Get(ctx, "/evidence")
	if err != nil {
		t.Fatal(err)
	}
	var offs struct {
		Offenses []staking.Offense `json:"offenses"`
	}
	if err := json.Unmarshal(raw, &offs); err != nil || len(offs.Offenses) != 1 || offs.Offenses[0].Round != round {
		t.Fatalf("/evidence: %s", raw)
	}
	c.waitFor("the offender out of the active set", 90*time.Second, func() bool {
		return !c.validators(0).has(offender)
	})
	top := c.height(0)
	c.waitHeight(top+3, 60*time.Second, 0, 1, 2)
}
