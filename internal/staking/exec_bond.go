package staking

func (s *State) execDelegate(ctx Ctx, sender Address, body []byte) *Failure {
	d, err := DecodeDelegate(body)
	if err != nil {
		return badBody(err)
	}
	if d.Amount == 0 {
		return fail(ZeroAmount, "delegation of 0")
	}
	v, ok := s.validators[d.Validator]
	if !ok {
		return fail(UnknownValidator, "no validator %s", d.Validator)
	}
	bal := ctx.Bank.Balance(sender)
	if bal < d.Amount {
		return fail(InsufficientFunds, "balance %d, delegation %d", bal, d.Amount)
	}
	shares, f := sharesFor(v, d.Amount)
	if f != nil {
		return f
	}
	tokens, ok1 := add(v.Tokens, d.Amount)
	total, ok2 := add(v.Shares, shares)
	mine, ok3 := add(s.delegations[d.Validator][sender], shares)
	if !ok1 || !ok2 || !ok3 {
		return fail(Overflow, "validator %s stake would overflow", d.Validator)
	}

	ctx.Bank.SetBalance(sender, bal-d.Amount)
	v.Tokens, v.Shares = tokens, total
	s.setShares(d.Validator, sender, mine)
	return nil
}

// sharesFor returns the shares amount tokens buy at v's current rate,
// rounded down so existing delegators are never diluted.
func sharesFor(v *Validator, amount uint64) (uint64, *Failure) {
	if v.Shares == 0 {
		return amount, nil // first delegation (or only dust left): one share per token
	}
	if v.Tokens == 0 {
		return 0, fail(Insolvent, "validator %s was slashed to zero tokens; its shares are worthless", v.Operator)
	}
	shares, ok := mulDiv(amount, v.Shares, v.Tokens)
	if !ok {
		return 0, fail(Overflow, "shares for %d tokens overflow", amount)
	}
	if shares == 0 {
		return 0, fail(ZeroAmount, "%d tokens buy no shares at %d tokens per %d shares", amount, v.Tokens, v.Shares)
	}
	return shares, nil
}

func (s *State) execUndelegate(ctx Ctx, sender Address, body []byte) *Failure {
	u, err := DecodeUndelegate(body)
	if err != nil {
		return badBody(err)
	}
	if u.Amount == 0 {
		return fail(ZeroAmount, "undelegation of 0")
	}
	v, ok := s.validators[u.Validator]
	if !ok {
		return fail(UnknownValidator, "no validator %s", u.Validator)
	}
	have := s.delegations[u.Validator][sender]
	if u.Amount > v.Tokens {
		return fail(InsufficientShares, "validator %s has %d tokens, undelegation %d", u.Validator, v.Tokens, u.Amount)
	}
	// Rounding the shares up means the delegator pays for any remainder,
	// so the others' shares never lose value.
	need, ok := mulDivUp(u.Amount, v.Shares, v.Tokens)
	if !ok || need > have {
		return fail(InsufficientShares, "%d tokens need %d shares, delegation holds %d (worth %d)", u.Amount, need, have, v.tokensOf(have))
	}
	complete, ok := add(ctx.Height, s.params.UnbondingBlocks)
	if !ok {
		return fail(Overflow, "height %d + unbonding_blocks overflows", ctx.Height)
	}
	same, entries := -1, 0
	for i, e := range s.unbonding {
		if e.Delegator == sender && e.Validator == u.Validator {
			entries++
			if e.CompleteHeight == complete {
				same = i
			}
		}
	}
	if same >= 0 {
		if _, ok := add(s.unbonding[same].Amount, u.Amount); !ok {
			return fail(Overflow, "unbonding entry would overflow")
		}
	} else if entries >= MaxUnbondingEntries {
		return fail(TooManyUnbonding, "%d entries of %s are unbonding from %s, the most allowed; withdraw matured ones first, or wait",
			entries, sender, u.Validator)
	}

	v.Tokens -= u.Amount
	v.Shares -= need
	s.setShares(u.Validator, sender, have-need)
	// Stake that was behind the validator's signed verdicts stays liable
	// for them after it leaves.
	locked := v.SlashableUntil
	if same >= 0 {
		// Undelegations in one block complete together: one entry.
		s.unbonding[same].Amount += u.Amount
		s.unbonding[same].LockedUntil = max(s.unbonding[same].LockedUntil, locked)
		return nil
	}
	s.unbonding = append(s.unbonding, UnbondingEntry{Delegator: sender, Validator: u.Validator, Amount: u.Amount, CompleteHeight: complete, LockedUntil: locked})
	return nil
}

// MaxUnbondingEntries bounds the unbonding entries of one delegator with
// one validator. Entries stay in the staking record, which every block
// encodes, until their owner withdraws; without a bound, undelegations of
// one token each (transactions carry no fee) grew it, and every later
// block's cost, without end.
const MaxUnbondingEntries = 7

func (s *State) execWithdraw(ctx Ctx, sender Address, body []byte) *Failure {
	if _, err := DecodeWithdraw(body); err != nil {
		return badBody(err)
	}
	var total uint64
	found := false
	for _, e := range s.unbonding {
		if e.Delegator == sender && withdrawable(e, ctx.Height) {
			var ok bool
			if total, ok = add(total, e.Amount); !ok {
				return fail(Overflow, "matured entries overflow")
			}
			found = true
		}
	}
	if !found {
		return fail(NothingToWithdraw, "no unbonding entry of %s has matured by height %d (stake behind a verdict still open to dispute waits for its window to close)", sender, ctx.Height)
	}
	bal, ok := add(ctx.Bank.Balance(sender), total)
	if !ok {
		return fail(Overflow, "balance would overflow")
	}

	kept := s.unbonding[:0]
	for _, e := range s.unbonding {
		if !(e.Delegator == sender && withdrawable(e, ctx.Height)) {
			kept = append(kept, e)
		}
	}
	clear(s.unbonding[len(kept):])
	s.unbonding = kept
	ctx.Bank.SetBalance(sender, bal)
	return nil
}
