package staking

import "fmt"

// Code says why a staking transaction failed. Codes 0-15 belong to the
// state machine (signature, nonce, ...), so staking's start at 16 and a
// receipt can carry either kind in one byte.
type Code uint8

const (
	BadBody            Code = iota + 16 // body does not decode, or the kind is not staking's
	InsufficientFunds                   // liquid balance below the amount
	BadPoP                              // BLS key invalid or its proof of possession fails
	DuplicateKey                        // BLS key or node id used by another validator
	AlreadyValidator                    // sender already operates a validator
	UnknownValidator                    // no validator with that operator
	BadCommission                       // commission above 10000 bps
	BelowMinStake                       // stake below Params.MinStake
	InsufficientShares                  // undelegating more than the delegation is worth
	NothingToWithdraw                   // no matured unbonding entry
	NotJailed                           // unjail of a validator that is not jailed
	StillJailed                         // unjail before JailedUntil
	NotOperator                         // sender operates no validator
	BadEvidence                         // evidence malformed, unverifiable or about an unknown epoch
	DuplicateEvidence                   // offense already punished
	ExpiredEvidence                     // evidence older than EvidenceMaxAgeEpochs
	Overflow                            // a sum would not fit in 64 bits
	ZeroAmount                          // amount is zero or buys no shares
	Insolvent                           // validator slashed to zero tokens while shares remain
	TooManyUnbonding                    // MaxUnbondingEntries already unbonding from this validator
	BadRegistration                     // the BLS or node key did not sign this operator's registration
	BadText                             // a name that is not UTF-8 or holds control characters, or an address not host:port
)

var codeNames = map[Code]string{
	BadBody:            "bad body",
	InsufficientFunds:  "insufficient funds",
	BadPoP:             "bad proof of possession",
	DuplicateKey:       "duplicate key",
	AlreadyValidator:   "already a validator",
	UnknownValidator:   "unknown validator",
	BadCommission:      "bad commission",
	BelowMinStake:      "below minimum stake",
	InsufficientShares: "insufficient shares",
	NothingToWithdraw:  "nothing to withdraw",
	NotJailed:          "not jailed",
	StillJailed:        "still jailed",
	NotOperator:        "not an operator",
	BadEvidence:        "bad evidence",
	DuplicateEvidence:  "duplicate evidence",
	ExpiredEvidence:    "expired evidence",
	Overflow:           "overflow",
	ZeroAmount:         "zero amount",
	Insolvent:          "insolvent validator",
	TooManyUnbonding:   "too many unbonding entries",
	BadRegistration:    "bad registration",
	BadText:            "bad text",
}

func (c Code) String() string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return fmt.Sprintf("code %d", uint8(c))
}

// Failure is why Exec rejected a transaction. A failed transaction changed
// nothing; the state machine records Code in the receipt.
type Failure struct {
	Code   Code
	Reason string
}

func (f *Failure) Error() string { return "staking: " + f.Code.String() + ": " + f.Reason }

func fail(c Code, format string, args ...any) *Failure {
	return &Failure{Code: c, Reason: fmt.Sprintf(format, args...)}
}
