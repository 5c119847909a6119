package rpc

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/light"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/types"
)

// operatorBalance funds the validator's operator account at genesis in
// the staking tests.
const operatorBalance = 5_000

// longEpochs keeps the chain in epoch 0 for the whole test, so that what
// the routes serve cannot change under it (no epoch reward, no new set),
// and funds the operator.
func longEpochs(g *config.Genesis) {
	p := staking.DefaultParams()
	p.EpochLength = 1 << 40
	// Unbonding must outlast the evidence window, whatever the epochs.
	p.UnbondingBlocks = (p.EvidenceMaxAgeEpochs + 1) * p.EpochLength
	g.Staking = &p
	g.Accounts = []config.GenesisAccount{{Address: g.Validators[0].NodeID, Balance: operatorBalance}}
}

// genesisEpoch is epoch 0 as a light client builds it from the genesis
// file alone: each validator's operator is its node key, with no network
// address, in file order.
func genesisEpoch(t *testing.T, g *config.Genesis) *state.Epoch {
	t.Helper()
	e := &state.Epoch{Number: 0, EndHeight: g.StakingParams().EpochLength}
	for _, v := range g.Validators {
		id, err1 := hex.DecodeString(v.NodeID)
		bk, err2 := hex.DecodeString(v.BLSKey)
		if err1 != nil || err2 != nil || len(id) != 32 {
			t.Fatalf("genesis validator %q: bad keys", v.Name)
		}
		m := staking.Member{BLSKey: bk, Name: v.Name, Power: v.Stake}
		copy(m.Operator[:], id)
		copy(m.NodeID[:], id)
		e.Set = append(e.Set, m)
	}
	return e
}

// rawFields decodes a JSON object's top level.
func rawFields(t *testing.T, body []byte) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("not a JSON object: %s", truncate(body))
	}
	return m
}

// The staking and epoch routes answer malformed input with 400 and its
// code, and unknown epochs with 404, in the JSON error envelope.
func TestStakingRoutesBadInput(t *testing.T) {
	tn := startNodeGenesis(t, longEpochs)
	hex64 := hex.EncodeToString(make([]byte, 32))
	cases := []struct {
		name   string
		method string
		path   string
		status int
		code   string // empty: only the status is checked
	}{
		{"validators epoch not a number", "GET", "/validators?epoch=abc", 400, "bad_epoch"},
		{"validators epoch negative", "GET", "/validators?epoch=-1", 400, "bad_epoch"},
		{"validators epoch overflows", "GET", "/validators?epoch=18446744073709551616", 400, "bad_epoch"},
		{"validators epoch with a sign", "GET", "/validators?epoch=%2B1", 400, "bad_epoch"},
		{"validators epoch not reached", "GET", "/validators?epoch=999", 404, "not_found"},
		{"validators epoch 1 of a fresh chain", "GET", "/validators?epoch=1", 404, "not_found"},
		{"epoch not a number", "GET", "/epochs/abc", 400, "bad_epoch"},
		{"epoch negative", "GET", "/epochs/-1", 400, "bad_epoch"},
		{"epoch overflows", "GET", "/epochs/18446744073709551616", 400, "bad_epoch"},
		{"epoch not reached", "GET", "/epochs/999", 404, "not_found"},
		{"epoch 1 of a fresh chain", "GET", "/epochs/1", 404, "not_found"},
		{"epoch missing", "GET", "/epochs/", 404, "not_found"},
		{"address not hex", "GET", "/accounts/zz", 400, "bad_address"},
		{"address 31 bytes", "GET", "/accounts/" + hex64[2:], 400, "bad_address"},
		{"address 33 bytes", "GET", "/accounts/" + hex64 + "00", 400, "bad_address"},
		{"address odd length", "GET", "/accounts/" + hex64[1:], 400, "bad_address"},
		{"post to epochs", "POST", "/epochs/0", 405, ""},
		{"post to staking validators", "POST", "/staking/validators", 405, ""},
		{"delete evidence", "DELETE", "/evidence", 405, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := tn.do(t, c.method, c.path, "", nil)
			if r.status != c.status {
				t.Fatalf("HTTP %d, want %d: %s", r.status, c.status, truncate(r.body))
			}
			if c.code != "" {
				if e := apiError(t, r); e.Code != c.code {
					t.Fatalf("code %q (%s), want %q", e.Code, e.Message, c.code)
				}
			}
		})
	}
}

// On a fresh chain, epoch 0 is the genesis set: its hash is the one a
// light client computes from the genesis file, the node's own, and it has
// neither a certificate (nothing certifies genesis) nor an end proof.
func TestEpochZero(t *testing.T) {
	tn := startNodeGenesis(t, longEpochs)
	ctx := testCtx(t)
	g := testGenesis(t)
	longEpochs(g)
	want := genesisEpoch(t, g)

	r := tn.do(t, http.MethodGet, "/epochs/0", "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET /epochs/0: HTTP %d %s", r.status, truncate(r.body))
	}
	raw := rawFields(t, r.body)
	for _, absent := range []string{"cert", "end_proof", "end_proof_hex", "last_block"} {
		if _, ok := raw[absent]; ok {
			t.Errorf("epoch 0 has %q: %s", absent, raw[absent])
		}
	}
	var v EpochView
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatal(err)
	}
	info, err := tn.node.EpochInfo(tn.node.Epoch())
	if err != nil || tn.node.Epoch() != 0 {
		t.Fatalf("node epoch %d: %v", tn.node.Epoch(), err)
	}
	if v.SetHash != want.SetHash().String() || v.SetHash != info.Epoch.SetHash().String() {
		t.Fatalf("set_hash %s; from the genesis file %s; the node's current epoch %s", v.SetHash, want.SetHash(), info.Epoch.SetHash())
	}
	if v.Epoch != 0 || v.LastHeight != 0 || v.EndHeight != 1<<40 || v.Root != types.GenesisBlock(testChain, 0).ID().String() {
		t.Fatalf("epoch 0 bounds: %+v", v)
	}
	nodeID := tn.node.NodeID().String()
	if len(v.Validators) != 1 {
		t.Fatalf("epoch 0 validators: %+v", v.Validators)
	}
	if x := v.Validators[0]; x.Index != 0 || x.NodeID != nodeID || x.Operator != nodeID || x.Name != "node0" ||
		x.Stake != 1_000_000 || x.BLSKey != g.Validators[0].BLSKey {
		t.Fatalf("epoch 0 validator: %+v", x)
	}

	// What the client reads back is the genesis epoch exactly; with no
	// certificate a light client cannot take it as a next epoch.
	step, err := v.Step()
	if err != nil {
		t.Fatal(err)
	}
	if step.Cert != nil || step.Epoch.SetHash() != want.SetHash() || step.Epoch.Change() != want.Change() {
		t.Fatalf("Step of epoch 0: %+v", step)
	}
	if _, err := light.Next(testChain, want, step); !errors.Is(err, light.ErrUnproven) {
		t.Fatalf("light.Next with an uncertified epoch: %v", err)
	}

	// /validators and /validators?epoch=0 agree with /epochs/0.
	for _, path := range []string{"/validators", "/validators?epoch=0"} {
		raw, err := tn.client.Get(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Epoch      uint64            `json:"epoch"`
			Validators []json.RawMessage `json:"validators"`
		}
		if err := json.Unmarshal(raw, &got); err != nil || got.Epoch != 0 || len(got.Validators) != 1 {
			t.Fatalf("GET %s: %s (%v)", path, raw, err)
		}
		wantVal, _ := json.Marshal(v.Validators[0])
		if string(got.Validators[0]) != string(wantVal) {
			t.Fatalf("GET %s validator %s, /epochs/0 has %s", path, got.Validators[0], wantVal)
		}
	}
}

// An operator's account shows its genesis balance, its self-bond and the
// validator it runs; /staking/validators lists that validator and the
// params; /evidence is an empty list, not null.
func TestStakingViews(t *testing.T) {
	tn := startNodeGenesis(t, longEpochs)
	ctx := testCtx(t)
	g := testGenesis(t)
	longEpochs(g)
	op := tn.node.NodeID().String()
	opKey, _ := hex.DecodeString(op)

	acc, err := tn.client.Account(ctx, opKey)
	if err != nil {
		t.Fatal(err)
	}
	if acc.Address != op || acc.Balance != operatorBalance || len(acc.Unbonding) != 0 {
		t.Fatalf("operator account %+v, want balance %d", acc, operatorBalance)
	}
	if len(acc.Delegations) != 1 || acc.Delegations[0] != (DelegationView{Validator: op, Shares: acc.Delegations[0].Shares, Tokens: 1_000_000}) ||
		acc.Delegations[0].Shares == 0 {
		t.Fatalf("operator delegations %+v, want its self-bond of 1000000", acc.Delegations)
	}
	val := acc.Validator
	if val == nil {
		t.Fatalf("operator account has no validator: %+v", acc)
	}
	wantVal := CandidateView{Operator: op, NodeID: op, BLSKey: g.Validators[0].BLSKey, Name: "node0",
		Tokens: 1_000_000, Shares: val.Shares, CommissionBps: val.CommissionBps}
	if *val != wantVal || val.Shares != acc.Delegations[0].Shares {
		t.Fatalf("operator's validator %+v, want %+v", *val, wantVal)
	}

	// Any other account: zero, with empty lists (not null) and no validator.
	r := tn.do(t, http.MethodGet, "/accounts/"+hex.EncodeToString(account(42).Public().(ed25519.PublicKey)), "", nil)
	raw := rawFields(t, r.body)
	if r.status != http.StatusOK || string(raw["balance"]) != "0" || string(raw["nonce"]) != "0" ||
		string(raw["delegations"]) != "[]" || string(raw["unbonding"]) != "[]" || raw["validator"] != nil {
		t.Fatalf("unknown account: HTTP %d %s", r.status, r.body)
	}

	var cands struct {
		Validators []CandidateView `json:"validators"`
		Params     staking.Params  `json:"params"`
	}
	r = tn.do(t, http.MethodGet, "/staking/validators", "", nil)
	if r.status != http.StatusOK || json.Unmarshal(r.body, &cands) != nil {
		t.Fatalf("GET /staking/validators: HTTP %d %s", r.status, truncate(r.body))
	}
	if len(cands.Validators) != 1 || cands.Validators[0] != *val || cands.Params != *g.Staking {
		t.Fatalf("GET /staking/validators: %+v, want [%+v] and %+v", cands, *val, *g.Staking)
	}

	r = tn.do(t, http.MethodGet, "/evidence", "", nil)
	if raw := rawFields(t, r.body); r.status != http.StatusOK || len(raw) != 1 || string(raw["offenses"]) != "[]" {
		t.Fatalf("GET /evidence: HTTP %d %s, want {\"offenses\":[]}", r.status, r.body)
	}
}

// shortEpochs makes epochs five blocks long, so a test sees several
// changes, each certified by the node's own signature transaction.
func shortEpochs(g *config.Genesis) {
	p := staking.DefaultParams()
	p.EpochLength = 5
	g.Staking = &p
}

// waitCert polls /epochs/n until it carries a certificate.
func (tn *testNode) waitCert(t *testing.T, n uint64) EpochView {
	t.Helper()
	var v EpochView
	waitFor(t, "a certificate of epoch "+strconv.FormatUint(n, 10), 30*time.Second, func() bool {
		var err error
		v, err = tn.client.Epoch(testCtx(t), n)
		return err == nil && v.Cert != nil
	})
	return v
}

// End to end: the node signs each change it was a validator before, the
// certificate commits and is served, and a light client that trusts only
// the genesis file follows the served epochs; altering what is served
// breaks the proof.
func TestEpochCertServedAndFollowed(t *testing.T) {
	tn := startNodeGenesis(t, shortEpochs)
	ctx := testCtx(t)
	g := testGenesis(t)
	shortEpochs(g)
	genesis := genesisEpoch(t, g)

	views := []EpochView{tn.waitCert(t, 1), tn.waitCert(t, 2)}
	var steps []light.Step
	for i, v := range views {
		n := uint64(i + 1)
		if v.Epoch != n || v.LastHeight != 5*n || v.EndHeight != 5*(n+1) {
			t.Fatalf("epoch %d bounds: %+v", n, v)
		}
		last, err := tn.client.Block(ctx, v.LastHeight, false)
		if err != nil || v.LastBlock != last.ID {
			t.Fatalf("epoch %d last_block %s, block %d is %s (%v)", n, v.LastBlock, v.LastHeight, last.ID, err)
		}
		c := v.Cert
		if c.Epoch != n || c.LastHeight != v.LastHeight || c.LastBlock != v.LastBlock || c.SetHash != v.SetHash || !slices.Equal(c.Signers, []int{0}) {
			t.Fatalf("epoch %d certificate %+v does not match the epoch %+v", n, c, v)
		}
		s, err := v.Step()
		if err != nil {
			t.Fatal(err)
		}
		if s.Epoch.SetHash().String() != v.SetHash {
			t.Fatalf("epoch %d: served set hashes to %s, set_hash says %s", n, s.Epoch.SetHash(), v.SetHash)
		}
		steps = append(steps, s)
	}
	got, err := light.Follow(testChain, genesis, steps)
	if err != nil || got.Number != 2 {
		t.Fatalf("light client followed to %+v: %v", got, err)
	}

	// Epoch 0 is over: its end proof is a QC of the genesis set.
	v0, err := tn.client.Epoch(ctx, 0)
	if err != nil || v0.EndProof == nil || v0.Cert != nil || v0.SetHash != genesis.SetHash().String() {
		t.Fatalf("epoch 0 after it ended: %+v, %v", v0, err)
	}
	vs, err := g.ValidatorSet()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := hex.DecodeString(v0.EndProofHex)
	if qc, err := types.DecodeQC(raw); err != nil || qc.Verify(vs, types.GenesisBlock(testChain, 0).ID()) != nil {
		t.Fatalf("epoch 0 end proof does not verify: %v", err)
	}

	// A served epoch altered in any field the certificate covers, or
	// without its certificate, is refused.
	other := types.HashOf([]byte("rpc-test-other")).String()
	cases := []struct {
		name string
		mut  func(v *EpochView)
	}{
		{"stake raised", func(v *EpochView) { v.Validators[0].Stake++ }},
		{"name changed", func(v *EpochView) { v.Validators[0].Name = "mallory" }},
		{"validator added", func(v *EpochView) { v.Validators = append(v.Validators, v.Validators[0]) }},
		{"last block changed", func(v *EpochView) { v.LastBlock = other }},
		{"last height changed", func(v *EpochView) { v.LastHeight++ }},
		{"certificate removed", func(v *EpochView) { v.Cert = nil }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := views[1]
			v.Validators = slices.Clone(v.Validators)
			if v.Cert != nil {
				cert := *v.Cert
				v.Cert = &cert
			}
			c.mut(&v)
			s, err := v.Step()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := light.Follow(testChain, genesis, []light.Step{steps[0], s}); !errors.Is(err, light.ErrUnproven) {
				t.Fatalf("followed an altered epoch 2: %v", err)
			}
		})
	}
	// A certificate that does not decode is an error of Step itself.
	bad := views[1]
	cert := *bad.Cert
	cert.Hex = cert.Hex[:len(cert.Hex)-2]
	bad.Cert = &cert
	if _, err := bad.Step(); err == nil {
		t.Fatal("Step accepted a truncated certificate")
	}
}
