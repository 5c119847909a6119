package staking

import "maps"

// Clone returns a deep copy of s that shares nothing with it, so a reader
// can hold a snapshot while the driver keeps executing. It is what
// Decode(s.Encode()) gives, without the encoding and checks.
func (s *State) Clone() *State {
	c := *s
	c.validators = make(map[Address]*Validator, len(s.validators))
	for a, v := range s.validators {
		cv := v.clone()
		c.validators[a] = &cv
	}
	c.delegations = make(map[Address]map[Address]uint64, len(s.delegations))
	for a, m := range s.delegations {
		c.delegations[a] = maps.Clone(m)
	}
	c.unbonding = append([]UnbondingEntry(nil), s.unbonding...)
	c.sets = make(map[uint64][]Member, len(s.sets))
	for e, set := range s.sets {
		c.sets[e] = cloneMembers(set)
	}
	c.punished = maps.Clone(s.punished)
	c.signed = append([]uint64(nil), s.signed...)
	c.blsKeys = make(map[string]Address, len(s.blsKeys))
	c.nodeIDs = make(map[[32]byte]Address, len(s.nodeIDs))
	for a, v := range c.validators {
		c.blsKeys[string(v.BLSKey)] = a
		c.nodeIDs[v.NodeID] = a
	}
	return &c
}
