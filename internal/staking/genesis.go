package staking

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/types"
)

// GenesisValidator is a validator of the genesis file. Its Stake is minted
// as the operator's self-bond.
type GenesisValidator struct {
	Operator Address
	NodeID   [32]byte
	BLSKey   []byte
	PoP      []byte
	Name     string
	NetAddr  string
	Stake    uint64
}

// Genesis builds the state of epoch 0. The genesis validators form epoch
// 0's set in the order given (not sorted by stake), so the genesis file
// alone fixes the first leaders. Their stakes count as minted, which is
// what makes CheckSupply hold from the first block.
func Genesis(chainID string, p Params, vals []GenesisValidator) (*State, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("staking genesis: %w", err)
	}
	if chainID == "" || len(chainID) > types.MaxChainIDLen {
		return nil, fmt.Errorf("staking genesis: chain id %q must be 1..%d bytes", chainID, types.MaxChainIDLen)
	}
	if len(vals) == 0 || len(vals) > p.MaxValidators {
		return nil, fmt.Errorf("staking genesis: %d validators; need 1..%d (max_validators)", len(vals), p.MaxValidators)
	}
	s := newState(chainID, p)
	set := make([]Member, 0, len(vals))
	for i, g := range vals {
		v, err := s.genesisValidator(g)
		if err != nil {
			return nil, fmt.Errorf("staking genesis: validator %d (%s): %w", i, g.Operator, err)
		}
		minted, ok := add(s.minted, g.Stake)
		if !ok {
			return nil, fmt.Errorf("staking genesis: validator %d (%s): total stake overflows uint64", i, g.Operator)
		}
		s.minted = minted
		s.addValidator(v)
		s.setShares(v.Operator, v.Operator, v.Shares)
		set = append(set, v.member())
	}
	s.sets[0] = set
	s.signed = make([]uint64, len(set))
	return s, nil
}

func (s *State) genesisValidator(g GenesisValidator) (*Validator, error) {
	switch {
	case g.Stake < s.params.MinStake:
		return nil, fmt.Errorf("stake %d is below min_stake %d", g.Stake, s.params.MinStake)
	case len(g.Name) > MaxNameLen:
		return nil, fmt.Errorf("name is %d bytes, at most %d", len(g.Name), MaxNameLen)
	case len(g.NetAddr) > MaxNetAddrLen:
		return nil, fmt.Errorf("net addr is %d bytes, at most %d", len(g.NetAddr), MaxNetAddrLen)
	}
	if f := checkName(g.Name); f != nil {
		return nil, f
	}
	if g.NetAddr != "" { // genesis validators may be reached through configured peers
		if f := checkNetAddr(g.NetAddr); f != nil {
			return nil, f
		}
	}
	if _, dup := s.validators[g.Operator]; dup {
		return nil, fmt.Errorf("operator listed twice")
	}
	if _, dup := s.nodeIDs[g.NodeID]; dup {
		return nil, fmt.Errorf("node id %x already used", g.NodeID)
	}
	key, f := checkKey(g.BLSKey, g.PoP)
	if f != nil {
		return nil, f
	}
	if _, dup := s.blsKeys[string(key)]; dup {
		return nil, fmt.Errorf("bls key already used")
	}
	return &Validator{
		Operator: g.Operator, NodeID: g.NodeID, BLSKey: key, Name: g.Name, NetAddr: g.NetAddr,
		Tokens: g.Stake, Shares: g.Stake,
	}, nil
}

// checkKey parses a BLS key and verifies its proof of possession. It
// returns the canonical key bytes, which are what the duplicate check and
// every later set compare.
func checkKey(key, pop []byte) ([]byte, *Failure) {
	pk, err := bls.Scheme{}.ParsePublicKey(key)
	if err != nil {
		return nil, fail(BadPoP, "bls key: %v", err)
	}
	if !(bls.Scheme{}).VerifyPossession(pk, pop) {
		return nil, fail(BadPoP, "proof of possession does not verify for bls key %x", key)
	}
	return pk.Bytes(), nil
}
