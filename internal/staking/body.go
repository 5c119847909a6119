package staking

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/crypto/bls"
)

// Transaction kinds owned by staking. The numbers are shared with the state
// machine, which routes a transaction's body here by its kind.
const (
	KindTransfer        uint16 = 1
	KindCreateValidator uint16 = 2
	KindEditValidator   uint16 = 3
	KindDelegate        uint16 = 4
	KindUndelegate      uint16 = 5
	KindWithdraw        uint16 = 6
	KindUnjail          uint16 = 7
	KindEvidence        uint16 = 8
)

// BodyVersion is the first byte of every body, so a future format change is
// a clean rejection rather than a misparse.
const BodyVersion uint8 = 1

// Size limits enforced by the decoders before anything is allocated.
const (
	MaxNameLen    = 64
	MaxNetAddrLen = 128
	BLSKeySize    = bls.PublicKeySize
	PoPSize       = bls.SignatureSize
	SigSize       = bls.SignatureSize
)

// Transfer moves liquid balance from the sender to To.
type Transfer struct {
	To     Address
	Amount uint64
}

// Delegate bonds Amount of the sender's balance to Validator.
type Delegate struct {
	Validator Address
	Amount    uint64
}

// Undelegate starts unbonding Amount tokens (not shares) from Validator.
type Undelegate struct {
	Validator Address
	Amount    uint64
}

// Withdraw releases the sender's matured unbonding entries.
type Withdraw struct{}

// Unjail lets the sender's jailed validator back into the next set.
type Unjail struct{}

func (t Transfer) Encode() []byte   { return encodeAddrAmount(t.To, t.Amount) }
func (d Delegate) Encode() []byte   { return encodeAddrAmount(d.Validator, d.Amount) }
func (u Undelegate) Encode() []byte { return encodeAddrAmount(u.Validator, u.Amount) }
func (Withdraw) Encode() []byte     { return []byte{BodyVersion} }
func (Unjail) Encode() []byte       { return []byte{BodyVersion} }

// DecodeTransfer parses what Transfer.Encode wrote.
func DecodeTransfer(b []byte) (Transfer, error) {
	a, n, err := decodeAddrAmount(b, "transfer")
	return Transfer{To: a, Amount: n}, err
}

// DecodeDelegate parses what Delegate.Encode wrote.
func DecodeDelegate(b []byte) (Delegate, error) {
	a, n, err := decodeAddrAmount(b, "delegate")
	return Delegate{Validator: a, Amount: n}, err
}

// DecodeUndelegate parses what Undelegate.Encode wrote.
func DecodeUndelegate(b []byte) (Undelegate, error) {
	a, n, err := decodeAddrAmount(b, "undelegate")
	return Undelegate{Validator: a, Amount: n}, err
}

// DecodeWithdraw parses what Withdraw.Encode wrote.
func DecodeWithdraw(b []byte) (Withdraw, error) {
	return Withdraw{}, decodeEmpty(b, "withdraw")
}

// DecodeUnjail parses what Unjail.Encode wrote.
func DecodeUnjail(b []byte) (Unjail, error) {
	return Unjail{}, decodeEmpty(b, "unjail")
}

func encodeAddrAmount(a Address, n uint64) []byte {
	w := codec.NewWriter(1 + 32 + 8)
	w.U8(BodyVersion)
	w.Fixed(a[:])
	w.U64(n)
	return w.Bytes()
}

func decodeAddrAmount(b []byte, what string) (Address, uint64, error) {
	r := codec.NewReader(b)
	r.Version(BodyVersion)
	var a Address
	copy(a[:], r.Fixed(len(a)))
	n := r.U64()
	if err := r.Finish(); err != nil {
		return Address{}, 0, fmt.Errorf("decode %s: %w", what, err)
	}
	return a, n, nil
}

func decodeEmpty(b []byte, what string) error {
	r := codec.NewReader(b)
	r.Version(BodyVersion)
	if err := r.Finish(); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

// readExact reads a length-prefixed field that must be exactly n bytes.
// The prefix keeps the format open to other sizes; the check keeps each
// value to one encoding today.
func readExact(r *codec.Reader, n int, what string) []byte {
	b := r.VarBytes(n)
	if r.Err() == nil && len(b) != n {
		r.Fail(fmt.Errorf("%s is %d bytes, want %d: %w", what, len(b), n, codec.ErrInvalid))
		return nil
	}
	return b
}

// clone returns a copy of b that does not alias the input buffer.
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}
