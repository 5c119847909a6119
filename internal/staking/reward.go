package staking

// payRewards splits EpochReward over the ending set pro rata to Power,
// rounding down. Members jailed by the time the epoch ends (downtime or
// evidence) get nothing: their part is simply not minted.
func (s *State) payRewards(bank Bank, set []Member) {
	if s.params.EpochReward == 0 {
		return
	}
	var total uint64
	for _, m := range set {
		total = satAdd(total, m.Power)
	}
	for _, m := range set {
		v, ok := s.validators[m.Operator]
		if !ok || v.Jailed {
			continue
		}
		r, ok := mulDiv(s.params.EpochReward, m.Power, total)
		if !ok || r == 0 {
			continue
		}
		s.payValidator(bank, v, r)
	}
}

// payValidator pays commission to the operator and the rest to v's
// delegators pro rata to shares, rounding down; the rounding dust goes to
// the operator. Rewards are liquid, so share value does not change.
func (s *State) payValidator(bank Bank, v *Validator, r uint64) {
	commission := bpsOf(r, v.CommissionBps)
	rest := r - commission
	dels := s.delegations[v.Operator]
	var given uint64
	if v.Shares > 0 {
		for _, d := range sortedAddrs(dels) {
			amt, _ := mulDiv(rest, dels[d], v.Shares) // shares <= v.Shares: fits
			given += amt                              // sum of floors <= rest
			s.mint(bank, d, amt)
		}
	}
	s.mint(bank, v.Operator, commission+(rest-given))
}

// mint credits amt to a and counts it as minted. A credit that would
// overflow the balance or the minted total is skipped: only what is paid
// is minted, so the supply stays exact.
func (s *State) mint(bank Bank, a Address, amt uint64) {
	if amt == 0 {
		return
	}
	minted, ok1 := add(s.minted, amt)
	bal, ok2 := add(bank.Balance(a), amt)
	if !ok1 || !ok2 {
		return
	}
	s.minted = minted
	bank.SetBalance(a, bal)
}
