package staking

import (
	"bytes"
	"slices"
)

// Epoch returns the current epoch.
func (s *State) Epoch() uint64 { return s.epoch }

// ChainID returns the chain id evidence signatures are checked against.
func (s *State) ChainID() string { return s.chainID }

// Params returns the staking rules.
func (s *State) Params() Params { return s.params }

// Active returns the current epoch's set.
func (s *State) Active() []Member { return cloneMembers(s.sets[s.epoch]) }

// SetAt returns the set of a retained epoch: the current one and up to
// EvidenceMaxAgeEpochs before it.
func (s *State) SetAt(epoch uint64) ([]Member, bool) {
	set, ok := s.sets[epoch]
	if !ok {
		return nil, false
	}
	return cloneMembers(set), true
}

// Validators returns every validator, sorted by operator.
func (s *State) Validators() []Validator {
	out := make([]Validator, 0, len(s.validators))
	for _, a := range sortedAddrs(s.validators) {
		out = append(out, s.validators[a].clone())
	}
	return out
}

// Validator returns the validator operated by op.
func (s *State) Validator(op Address) (Validator, bool) {
	v, ok := s.validators[op]
	if !ok {
		return Validator{}, false
	}
	return v.clone(), true
}

// ValidatorByKey returns the validator registered with BLS key key.
func (s *State) ValidatorByKey(key []byte) (Validator, bool) {
	op, ok := s.blsKeys[string(key)]
	if !ok {
		return Validator{}, false
	}
	return s.Validator(op)
}

// DelegationsOf returns a delegator's delegations, sorted by validator.
func (s *State) DelegationsOf(delegator Address) []Delegation {
	var out []Delegation
	for _, val := range sortedAddrs(s.delegations) {
		if sh, ok := s.delegations[val][delegator]; ok {
			v := s.validators[val]
			out = append(out, Delegation{Delegator: delegator, Validator: val, Shares: sh, Tokens: v.tokensOf(sh)})
		}
	}
	return out
}

// DelegationsTo returns a validator's delegations, sorted by delegator.
func (s *State) DelegationsTo(validator Address) []Delegation {
	m := s.delegations[validator]
	v, ok := s.validators[validator]
	if !ok {
		return nil
	}
	out := make([]Delegation, 0, len(m))
	for _, d := range sortedAddrs(m) {
		out = append(out, Delegation{Delegator: d, Validator: validator, Shares: m[d], Tokens: v.tokensOf(m[d])})
	}
	return out
}

// Unbonding returns a delegator's unbonding entries in creation order.
func (s *State) Unbonding(delegator Address) []UnbondingEntry {
	var out []UnbondingEntry
	for _, e := range s.unbonding {
		if e.Delegator == delegator {
			out = append(out, e)
		}
	}
	return out
}

func addrLess(a, b Address) bool { return bytes.Compare(a[:], b[:]) < 0 }

// sortMembers orders candidates by Power descending, then operator
// ascending, so equal stakes still give one order.
func sortMembers(set []Member) {
	slices.SortFunc(set, func(a, b Member) int {
		if a.Power != b.Power {
			if a.Power > b.Power {
				return -1
			}
			return 1
		}
		return bytes.Compare(a.Operator[:], b.Operator[:])
	})
}
