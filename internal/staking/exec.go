package staking

// Exec executes one transaction of a kind staking owns and returns nil or
// a *Failure. Each handler checks everything before its first write, so a
// failed transaction leaves the state and the bank exactly as they were.
// Kinds staking does not own fail with BadBody: routing them is the state
// machine's job.
func (s *State) Exec(ctx Ctx, sender Address, kind uint16, body []byte) error {
	var f *Failure
	switch kind {
	case KindTransfer:
		f = s.execTransfer(ctx, sender, body)
	case KindCreateValidator:
		f = s.execCreateValidator(ctx, sender, body)
	case KindEditValidator:
		f = s.execEditValidator(sender, body)
	case KindDelegate:
		f = s.execDelegate(ctx, sender, body)
	case KindUndelegate:
		f = s.execUndelegate(ctx, sender, body)
	case KindWithdraw:
		f = s.execWithdraw(ctx, sender, body)
	case KindUnjail:
		f = s.execUnjail(sender, body)
	case KindEvidence:
		f = s.execEvidence(ctx, sender, body)
	default:
		f = fail(BadBody, "transaction kind %d is not a staking kind", kind)
	}
	if f != nil {
		return f // never a typed nil inside a non-nil error
	}
	return nil
}

func badBody(err error) *Failure { return fail(BadBody, "%v", err) }

func (s *State) execTransfer(ctx Ctx, sender Address, body []byte) *Failure {
	t, err := DecodeTransfer(body)
	if err != nil {
		return badBody(err)
	}
	if t.Amount == 0 {
		return fail(ZeroAmount, "transfer of 0")
	}
	bal := ctx.Bank.Balance(sender)
	if bal < t.Amount {
		return fail(InsufficientFunds, "balance %d, transfer %d", bal, t.Amount)
	}
	if t.To == sender {
		return nil // a transfer to oneself moves nothing
	}
	to, ok := add(ctx.Bank.Balance(t.To), t.Amount)
	if !ok {
		return fail(Overflow, "recipient %s balance would overflow", t.To)
	}
	ctx.Bank.SetBalance(sender, bal-t.Amount)
	ctx.Bank.SetBalance(t.To, to)
	return nil
}
