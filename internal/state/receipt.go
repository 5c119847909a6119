package state

import (
	"errors"
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
)

// Code is a receipt's outcome. Codes below 16 are the state machine's own;
// the staking package's failure codes start at 16.
type Code uint8

const (
	OK Code = iota
	BadSignature
	WrongChain
	BadNonce
	UnknownKind
	Failed        // a failure without a more specific code
	BadEpochSig   // an epoch-change signature that does not check out
	EpochCertDone // the certificate (or this signer's part) is already on-chain
)

func (c Code) String() string {
	switch c {
	case OK:
		return "ok"
	case BadSignature:
		return "bad signature"
	case WrongChain:
		return "wrong chain id"
	case BadNonce:
		return "nonce is not the sender's next nonce"
	case UnknownKind:
		return "unknown transaction kind"
	case Failed:
		return "failed"
	case BadEpochSig:
		return "bad epoch-change signature"
	case EpochCertDone:
		return "epoch-change signature already recorded"
	}
	if c >= 64 {
		return idao.Code(c).String()
	}
	if c >= 16 {
		return staking.Code(c).String()
	}
	return fmt.Sprintf("code %d", uint8(c))
}

// Receipt records what happened to a committed transaction.
type Receipt struct {
	Height uint64
	Index  uint32
	Code   Code
	Reason string // why it failed; empty on success
}

// maxReason bounds a stored reason; longer ones are cut.
const maxReason = 512

func encodeReceipt(r Receipt) []byte {
	w := codec.NewWriter(16 + len(r.Reason))
	w.U64(r.Height)
	w.U32(r.Index)
	w.U8(uint8(r.Code))
	reason := r.Reason
	if len(reason) > maxReason {
		reason = reason[:maxReason]
	}
	w.VarBytes([]byte(reason))
	return w.Bytes()
}

var errBadReceipt = errors.New("state: malformed receipt")

func decodeReceipt(b []byte) (Receipt, error) {
	if len(b) < 13 {
		return Receipt{}, errBadReceipt
	}
	r := codec.NewReader(b)
	out := Receipt{Height: r.U64(), Index: r.U32(), Code: Code(r.U8())}
	out.Reason = string(r.VarBytes(maxReason))
	if err := r.Finish(); err != nil {
		return Receipt{}, fmt.Errorf("%w: %v", errBadReceipt, err)
	}
	return out, nil
}

// Receipt returns a committed transaction's receipt.
func (m *Machine) Receipt(h types.Hash) (Receipt, error) {
	v, err := m.store.Get(append([]byte{pReceipt}, h[:]...))
	if err != nil {
		return Receipt{}, err
	}
	return decodeReceipt(v)
}
