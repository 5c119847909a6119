package config

import (
	"encoding/hex"
	"fmt"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/state"
)

// GenesisAccount is an account funded at genesis.
type GenesisAccount struct {
	Address string `json:"address"` // hex ed25519 public key
	Balance uint64 `json:"balance"`
}

// StakingParams returns the genesis staking parameters, or the defaults
// when the file has none.
func (g *Genesis) StakingParams() staking.Params {
	if g.Staking != nil {
		return *g.Staking
	}
	return staking.DefaultParams()
}

// State builds the state machine's genesis. Each genesis validator's
// operator account is its node key, so the node can sign its own staking
// transactions (edit-validator, unjail, evidence) without another key.
func (g *Genesis) State() (state.Genesis, error) {
	if g.Epoch != 0 {
		// Epochs are counted by the chain from its genesis; a genesis file
		// cannot start anywhere else.
		return state.Genesis{}, fmt.Errorf("epoch is %d: a genesis starts at epoch 0", g.Epoch)
	}
	p := g.StakingParams()
	if err := p.Validate(); err != nil {
		return state.Genesis{}, fmt.Errorf("staking params: %w", err)
	}
	out := state.Genesis{Params: p, IDAO: idao.DefaultParams()}
	if g.IDAO != nil {
		if err := g.IDAO.Validate(); err != nil {
			return state.Genesis{}, err
		}
		out.IDAO = *g.IDAO
	}
	if err := out.IDAO.CheckUnbonding(p.UnbondingBlocks); err != nil {
		return state.Genesis{}, err
	}
	seen := map[staking.Address]bool{}
	for i, a := range g.Accounts {
		addr, err := ParseAddress(a.Address)
		if err != nil {
			return state.Genesis{}, fmt.Errorf("account %d: %w", i, err)
		}
		if seen[addr] {
			return state.Genesis{}, fmt.Errorf("account %d: address %s listed twice", i, a.Address)
		}
		seen[addr] = true
		out.Accounts = append(out.Accounts, state.GenesisAccount{Address: addr, Balance: a.Balance})
	}
	for i, v := range g.Validators {
		id, _ := hex.DecodeString(v.NodeID)
		bk, _ := hex.DecodeString(v.BLSKey)
		pop, _ := hex.DecodeString(v.PoP)
		var gv staking.GenesisValidator
		if len(id) != 32 {
			return state.Genesis{}, fmt.Errorf("validator %d: node_id must be 32 bytes of hex", i)
		}
		copy(gv.Operator[:], id)
		copy(gv.NodeID[:], id)
		gv.BLSKey, gv.PoP, gv.Name, gv.Stake = bk, pop, v.Name, v.Stake
		out.Validators = append(out.Validators, gv)
	}
	if err := checkSupply(out); err != nil {
		return state.Genesis{}, err
	}
	return out, nil
}

// checkSupply refuses a genesis whose balances and stakes do not fit in 64
// bits together: the state machine keeps the supply, and every sum of
// balances, in a uint64.
func checkSupply(g state.Genesis) error {
	var total uint64
	add := func(v uint64, what string) error {
		if total+v < total {
			return fmt.Errorf("%s: the genesis supply overflows 64 bits", what)
		}
		total += v
		return nil
	}
	for _, a := range g.Accounts {
		if err := add(a.Balance, "account "+a.Address.String()); err != nil {
			return err
		}
	}
	for _, v := range g.Validators {
		if err := add(v.Stake, "validator "+v.Name); err != nil {
			return err
		}
	}
	return nil
}

// ParseAddress reads a hex account address.
func ParseAddress(s string) (staking.Address, error) {
	var a staking.Address
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(a) {
		return a, fmt.Errorf("address %q is not 64 hex characters", s)
	}
	copy(a[:], b)
	return a, nil
}
