package staking

import (
	"crypto/ed25519"

	"github.com/lazchain/lazchain/internal/crypto/bls"
)

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
	if f := checkName(c.Name); f != nil {
		return f
	}
	if f := checkNetAddr(c.NetAddr); f != nil {
		return f
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
	if f := s.checkRegistration(sender, c, key); f != nil {
		return f
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
		if f := checkName(e.Name); f != nil {
			return f
		}
	}
	if e.NetAddr != "" {
		if f := checkNetAddr(e.NetAddr); f != nil {
			return f
		}
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

// checkRegistration checks that the BLS key and the node key signed this
// operator's registration on this chain, so that neither can be taken by
// copying a proof of possession or a node id from someone else's.
func (s *State) checkRegistration(operator Address, c CreateValidator, key []byte) *Failure {
	msg := RegistrationBytes(s.chainID, operator, c.NodeID, key)
	pk, err := bls.Scheme{}.ParsePublicKey(key)
	if err != nil || !(bls.Scheme{}).Verify(pk, msg, c.Binding) {
		return fail(BadRegistration, "the bls key did not sign the registration of operator %s on %s (its proof of possession is not enough)", operator, s.chainID)
	}
	if !ed25519.Verify(ed25519.PublicKey(c.NodeID[:]), msg, c.NodeSig) {
		return fail(BadRegistration, "node key %x did not sign the registration of operator %s on %s", c.NodeID[:4], operator, s.chainID)
	}
	return nil
}
