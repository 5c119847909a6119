package staking

func (s *State) execCreateValidator(ctx Ctx, sender Address, body []byte) *Failure {
	c, err := DecodeCreateValidator(body)
	if err != nil {
		return badBody(err)
	}
	if _, ok := s.validators[sender]; ok {
		return fail(AlreadyValidator, "%s already operates a validator", sender)
	}
	if c.CommissionBps > MaxBps {
		return fail(BadCommission, "commission %d bps is over %d", c.CommissionBps, MaxBps)
	}
	if c.SelfBond < s.params.MinStake {
		return fail(BelowMinStake, "self-bond %d is below min_stake %d", c.SelfBond, s.params.MinStake)
	}
	bal := ctx.Bank.Balance(sender)
	if bal < c.SelfBond {
		return fail(InsufficientFunds, "balance %d, self-bond %d", bal, c.SelfBond)
	}
	if owner, used := s.nodeIDs[c.NodeID]; used {
		return fail(DuplicateKey, "node id %x is used by validator %s", c.NodeID, owner)
	}
	// Duplicates are found by canonical key bytes, so two encodings of one
	// point cannot register twice. The proof is checked last: it is the
	// expensive step.
	if owner, used := s.blsKeys[string(c.BLSKey)]; used {
		return fail(DuplicateKey, "bls key is used by validator %s", owner)
	}
	key, f := checkKey(c.BLSKey, c.PoP)
	if f != nil {
		return f
	}
	if owner, used := s.blsKeys[string(key)]; used {
		return fail(DuplicateKey, "bls key is used by validator %s", owner)
	}

	ctx.Bank.SetBalance(sender, bal-c.SelfBond)
	v := &Validator{
		Operator: sender, NodeID: c.NodeID, BLSKey: key, Name: c.Name, NetAddr: c.NetAddr,
		CommissionBps: c.CommissionBps, Tokens: c.SelfBond, Shares: c.SelfBond,
	}
	s.addValidator(v)
	s.setShares(sender, sender, c.SelfBond)
	return nil
}

func (s *State) execEditValidator(sender Address, body []byte) *Failure {
	e, err := DecodeEditValidator(body)
	if err != nil {
		return badBody(err)
	}
	v, ok := s.validators[sender]
	if !ok {
		return fail(NotOperator, "%s operates no validator", sender)
	}
	if e.CommissionBps != KeepCommission && e.CommissionBps > MaxBps {
		return fail(BadCommission, "commission %d bps is over %d", e.CommissionBps, MaxBps)
	}
	if e.Name != "" {
		v.Name = e.Name
	}
	if e.NetAddr != "" {
		v.NetAddr = e.NetAddr
	}
	if e.CommissionBps != KeepCommission {
		v.CommissionBps = e.CommissionBps
	}
	return nil
}

func (s *State) execUnjail(sender Address, body []byte) *Failure {
	if _, err := DecodeUnjail(body); err != nil {
		return badBody(err)
	}
	v, ok := s.validators[sender]
	if !ok {
		return fail(NotOperator, "%s operates no validator", sender)
	}
	if !v.Jailed {
		return fail(NotJailed, "validator %s is not jailed", sender)
	}
	if s.epoch < v.JailedUntil {
		return fail(StillJailed, "epoch %d; unjail is allowed from epoch %d", s.epoch, v.JailedUntil)
	}
	if v.Tokens < s.params.MinStake {
		return fail(BelowMinStake, "tokens %d are below min_stake %d; delegate more first", v.Tokens, s.params.MinStake)
	}
	v.Jailed = false
	v.JailedUntil = 0
	return nil
}
