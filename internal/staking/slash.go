package staking

// Slash is the one way stake is taken for misbehavior: equivocation
// evidence, downtime, and later iDAO attestations and disputes all call it.
//
// It takes bps of the validator's Tokens, which lowers the value of every
// share so all delegators lose pro rata, and bps of each of the
// validator's unbonding entries still unbonding at height, since that
// stake was bonded when the offense may have happened. An entry that has
// completed is its owner's, withdrawn or not, unless a verdict the
// validator signed while it was still unbonding holds it (LockSlashable). ReporterRewardBps of the total goes to
// reporter if it is non-nil; the rest is burned. jail takes the validator
// out of the next set until JailEpochs have passed. bps above 10000 counts
// as 10000. An unknown operator is slashed nothing.
//
// Slash never fails, so a caller that has validated its own input can
// apply it without a rollback path; bank may be nil when reporter is nil.
func (s *State) Slash(bank Bank, height uint64, op Address, bps uint32, jail bool, reporter *Address) (slashed uint64) {
	return s.SlashFor(bank, height, 0, op, bps, jail, reporter)
}

// SlashFor is Slash for an offence at height offence: an unbonding entry
// that had completed by then was no longer behind it and is not cut,
// even if another, earlier offence's lock still holds it. 0 means the
// offence's height is not known, or is as old as the entries.
func (s *State) SlashFor(bank Bank, height, offence uint64, op Address, bps uint32, jail bool, reporter *Address) (slashed uint64) {
	v, ok := s.validators[op]
	if !ok {
		return 0
	}
	slashed = bpsOf(v.Tokens, bps)
	v.Tokens -= slashed
	for i := range s.unbonding {
		e := &s.unbonding[i]
		if e.Validator != op || (e.CompleteHeight <= height && e.LockedUntil <= height) || e.CompleteHeight <= offence {
			continue
		}
		cut := bpsOf(e.Amount, bps)
		// The total is at most the validator's stake, which fits in the
		// supply; leaving an entry uncut is the safe answer if it did not.
		total, ok := add(slashed, cut)
		if !ok {
			continue
		}
		e.Amount -= cut
		slashed = total
	}
	if jail {
		s.jail(v)
	}
	var paid uint64
	if reporter != nil && bank != nil {
		reward := bpsOf(slashed, s.params.ReporterRewardBps)
		if bal, ok := add(bank.Balance(*reporter), reward); ok {
			bank.SetBalance(*reporter, bal)
			paid = reward
		}
	}
	s.burned = satAdd(s.burned, slashed-paid)
	return slashed
}

// jail keeps v out of the sets until JailedUntil; a second jailing never
// shortens the first.
func (s *State) jail(v *Validator) {
	until := satAdd(satAdd(s.epoch, 1), s.params.JailEpochs)
	v.Jailed = true
	v.JailedUntil = max(v.JailedUntil, until)
}

// LockSlashable keeps op's stake slashable, and its withdrawal waiting,
// until height until: op signed, at height, a verdict that a dispute may
// overturn until then. Without it a signer could undelegate as soon as its
// seat was drawn, sign a false verdict, and withdraw before the ruling
// that should slash it. The lock covers what is still unbonding at height
// and what leaves later (through SlashableUntil); an entry that completed
// before height was no longer behind the signature, and stays its owner's.
func (s *State) LockSlashable(op Address, until, height uint64) {
	v, ok := s.validators[op]
	if !ok {
		return
	}
	v.SlashableUntil = max(v.SlashableUntil, until)
	for i := range s.unbonding {
		if e := &s.unbonding[i]; e.Validator == op && e.CompleteHeight > height {
			e.LockedUntil = max(e.LockedUntil, until)
		}
	}
}

// withdrawable reports whether e may be paid out at height.
func withdrawable(e UnbondingEntry, height uint64) bool {
	return e.CompleteHeight <= height && e.LockedUntil <= height
}
