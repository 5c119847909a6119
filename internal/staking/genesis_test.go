package staking

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParamsValidate(t *testing.T) {
	if err := DefaultParams().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	cases := []struct {
		name string
		edit func(*Params)
		want string // a word the error must contain
	}{
		{"epoch length 0", func(p *Params) { p.EpochLength = 0 }, "epoch_length"},
		{"unbonding 0", func(p *Params) { p.UnbondingBlocks = 0 }, "unbonding_blocks"},
		{"max validators 0", func(p *Params) { p.MaxValidators = 0 }, "max_validators"},
		{"max validators 1025", func(p *Params) { p.MaxValidators = 1025 }, "max_validators"},
		{"min stake 0", func(p *Params) { p.MinStake = 0 }, "min_stake"},
		{"equivocation bps", func(p *Params) { p.SlashEquivocationBps = 10_001 }, "slash_equivocation_bps"},
		{"downtime bps", func(p *Params) { p.SlashDowntimeBps = 10_001 }, "slash_downtime_bps"},
		{"min signed bps", func(p *Params) { p.DowntimeMinSignedBps = 10_001 }, "downtime_min_signed_bps"},
		{"reporter bps", func(p *Params) { p.ReporterRewardBps = 10_001 }, "reporter_reward_bps"},
	}
	for _, c := range cases {
		p := DefaultParams()
		c.edit(&p)
		err := p.Validate()
		if !errors.Is(err, ErrParams) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an ErrParams naming %s", c.name, err, c.want)
		}
	}
	p := DefaultParams()
	p.EpochReward, p.JailEpochs, p.EvidenceMaxAgeEpochs, p.SlashDowntimeBps = 0, 0, 0, MaxBps
	if err := p.Validate(); err != nil {
		t.Errorf("zeros that turn features off were rejected: %v", err)
	}
}

func TestParamsJSON(t *testing.T) {
	b, err := json.Marshal(DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"epoch_length", "unbonding_blocks", "max_validators", "min_stake", "epoch_reward",
		"slash_equivocation_bps", "slash_downtime_bps", "downtime_min_signed_bps", "reporter_reward_bps",
		"jail_epochs", "evidence_max_age_epochs"} {
		if !strings.Contains(string(b), `"`+k+`"`) {
			t.Errorf("json lacks %s: %s", k, b)
		}
	}
	var p Params
	if err := json.Unmarshal(b, &p); err != nil || p != DefaultParams() {
		t.Fatalf("round trip: %+v %v", p, err)
	}
}

func TestAddressText(t *testing.T) {
	a := addr(7)
	b, _ := a.MarshalText()
	var back Address
	if err := back.UnmarshalText(b); err != nil || back != a {
		t.Fatalf("round trip %s: %v", b, err)
	}
	for _, bad := range []string{"", "00", strings.Repeat("zz", 32)} {
		if err := back.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestGenesisRejects(t *testing.T) {
	p := DefaultParams()
	good := func() []GenesisValidator { return []GenesisValidator{genesisVal(1, 1000), genesisVal(2, 1000)} }
	cases := []struct {
		name    string
		chainID string
		p       func(*Params)
		vals    func([]GenesisValidator) []GenesisValidator
		want    string
	}{
		{name: "bad params", p: func(p *Params) { p.MinStake = 0 }, want: "min_stake"},
		{name: "empty chain id", chainID: "-", want: "chain id"},
		{name: "no validators", vals: func([]GenesisValidator) []GenesisValidator { return nil }, want: "0 validators"},
		{name: "too many", p: func(p *Params) { p.MaxValidators = 1 }, want: "2 validators"},
		{name: "below min stake", vals: func(v []GenesisValidator) []GenesisValidator { v[1].Stake = 999; return v }, want: "min_stake"},
		{name: "bad pop", vals: func(v []GenesisValidator) []GenesisValidator { v[1].PoP = pop(1); return v }, want: "proof of possession"},
		{name: "bad key", vals: func(v []GenesisValidator) []GenesisValidator { v[1].BLSKey = v[1].BLSKey[:40]; return v }, want: "bls key"},
		{name: "same operator", vals: func(v []GenesisValidator) []GenesisValidator { v[1].Operator = v[0].Operator; return v }, want: "operator"},
		{name: "same key", vals: func(v []GenesisValidator) []GenesisValidator {
			v[1].BLSKey, v[1].PoP = v[0].BLSKey, v[0].PoP
			return v
		}, want: "bls key already used"},
		{name: "same node", vals: func(v []GenesisValidator) []GenesisValidator { v[1].NodeID = v[0].NodeID; return v }, want: "node id"},
		{name: "long name", vals: func(v []GenesisValidator) []GenesisValidator { v[1].Name = strings.Repeat("n", 65); return v }, want: "name"},
		{name: "stake overflow", vals: func(v []GenesisValidator) []GenesisValidator {
			v[0].Stake, v[1].Stake = 1<<63, 1<<63
			return v
		}, want: "overflow"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pp, chain, vals := p, testChain, good()
			if c.p != nil {
				c.p(&pp)
			}
			if c.chainID == "-" {
				chain = ""
			}
			if c.vals != nil {
				vals = c.vals(vals)
			}
			_, err := Genesis(chain, pp, vals)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error about %q", err, c.want)
			}
		})
	}
}

func TestGenesisState(t *testing.T) {
	f := newFixture(t, testParams(), 1000, 2000)
	sup := f.s.Supply()
	if sup.Minted != 3000 || sup.Bonded != 3000 || sup.Burned != 0 || sup.Unbonding != 0 {
		t.Fatalf("supply %+v", sup)
	}
	if v := f.val(2); v.Tokens != 2000 || v.Shares != 2000 || v.CommissionBps != 0 {
		t.Fatalf("validator %+v", v)
	}
	if f.s.Epoch() != 0 || f.s.ChainID() != testChain || f.s.Params() != testParams() {
		t.Fatal("accessors")
	}
	// Accessors hand out copies.
	f.s.Active()[0].BLSKey[0] ^= 1
	f.s.Validators()[0].BLSKey[0] ^= 1
	if string(f.s.Active()[0].BLSKey) != string(pubKey(1)) || string(f.val(1).BLSKey) != string(pubKey(1)) {
		t.Fatal("an accessor aliases internal state")
	}
	if err := f.s.CheckSupply(f.genesis+1, f.genesis); !errors.Is(err, ErrSupply) {
		t.Fatalf("CheckSupply missed a created token: %v", err)
	}
	f.checkSupply()
}
