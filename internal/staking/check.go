package staking

import (
	"errors"
	"fmt"
)

// ErrInconsistent is wrapped by check when a state breaks an invariant
// that Exec, EndBlock and Slash maintain.
var ErrInconsistent = errors.New("staking: inconsistent state")

// check verifies the invariants a decoded state must satisfy and rebuilds
// the key indexes. Tests call it after every step as well.
func (s *State) check() error {
	if err := s.params.Validate(); err != nil {
		return err
	}
	if s.chainID == "" {
		return fmt.Errorf("%w: empty chain id", ErrInconsistent)
	}
	clear(s.blsKeys)
	clear(s.nodeIDs)
	for _, a := range sortedAddrs(s.validators) {
		v := s.validators[a]
		if _, dup := s.blsKeys[string(v.BLSKey)]; dup {
			return fmt.Errorf("%w: validator %s reuses a bls key", ErrInconsistent, a)
		}
		if _, dup := s.nodeIDs[v.NodeID]; dup {
			return fmt.Errorf("%w: validator %s reuses node id %x", ErrInconsistent, a, v.NodeID)
		}
		if v.CommissionBps > MaxBps {
			return fmt.Errorf("%w: validator %s commission %d", ErrInconsistent, a, v.CommissionBps)
		}
		s.addValidator(v)
		var sum uint64
		for _, sh := range s.delegations[a] {
			var ok bool
			if sum, ok = add(sum, sh); !ok {
				return fmt.Errorf("%w: validator %s shares overflow", ErrInconsistent, a)
			}
		}
		if sum != v.Shares {
			return fmt.Errorf("%w: validator %s has %d shares, delegations hold %d", ErrInconsistent, a, v.Shares, sum)
		}
	}
	for val := range s.delegations {
		if _, ok := s.validators[val]; !ok {
			return fmt.Errorf("%w: delegation to unknown validator %s", ErrInconsistent, val)
		}
	}
	for i, e := range s.unbonding {
		if _, ok := s.validators[e.Validator]; !ok {
			return fmt.Errorf("%w: unbonding entry %d of unknown validator %s", ErrInconsistent, i, e.Validator)
		}
	}
	return s.checkSets()
}

func (s *State) checkSets() error {
	cur, ok := s.sets[s.epoch]
	if !ok || len(cur) == 0 {
		return fmt.Errorf("%w: no active set for epoch %d", ErrInconsistent, s.epoch)
	}
	if len(s.signed) != len(cur) {
		return fmt.Errorf("%w: %d liveness counters for %d members", ErrInconsistent, len(s.signed), len(cur))
	}
	for e, set := range s.sets {
		if e > s.epoch || s.epoch-e > s.params.EvidenceMaxAgeEpochs {
			return fmt.Errorf("%w: set of epoch %d is outside the retained window", ErrInconsistent, e)
		}
		var total uint64
		for i, m := range set {
			if _, ok := s.validators[m.Operator]; !ok {
				return fmt.Errorf("%w: epoch %d member %d is unknown validator %s", ErrInconsistent, e, i, m.Operator)
			}
			if total, ok = add(total, m.Power); !ok || m.Power == 0 {
				return fmt.Errorf("%w: epoch %d member %d power %d", ErrInconsistent, e, i, m.Power)
			}
		}
	}
	for o := range s.punished {
		if _, ok := s.sets[o.epoch]; !ok {
			return fmt.Errorf("%w: punished offense in unretained epoch %d", ErrInconsistent, o.epoch)
		}
	}
	return nil
}
