package state

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/store"
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

// noReceipt marks, in a block's receipt record, a transaction that got no
// receipt there (a nonce out of order, or a replay of one that has one).
const noReceipt Code = 255

// blockReceipts collects one block's receipts, in transaction order, for
// one record: about one byte a transaction, under one key a block, where a
// key per transaction cost a skiplist insert each.
type blockReceipts struct{ w *codec.Writer }

func newBlockReceipts(n int) blockReceipts {
	w := codec.NewWriter(4 + n)
	w.U32(uint32(n))
	return blockReceipts{w: w}
}

func (b blockReceipts) add(r Receipt, has bool) {
	if !has {
		b.w.U8(uint8(noReceipt))
		return
	}
	b.w.U8(uint8(r.Code))
	if r.Code != OK {
		reason := r.Reason
		if len(reason) > maxReason {
			reason = reason[:maxReason]
		}
		b.w.VarBytes([]byte(reason))
	}
}

func (b blockReceipts) encoded() []byte { return b.w.Bytes() }

var errBadReceipt = errors.New("state: malformed receipt record")

// eachReceipt walks a block's record in transaction order until f returns
// false, and returns the record's count. A walk to the end also checks
// that nothing follows the last entry.
func eachReceipt(rec []byte, f func(i uint32, code Code, reason []byte) bool) (uint32, error) {
	r := codec.NewReader(rec)
	n := r.U32()
	if r.Err() != nil || uint64(n) > uint64(len(rec)) {
		return 0, fmt.Errorf("%w: count %d", errBadReceipt, n)
	}
	for i := uint32(0); i < n; i++ {
		code := Code(r.U8())
		var reason []byte
		if code != OK && code != noReceipt {
			reason = r.VarBytes(maxReason)
		}
		if err := r.Err(); err != nil {
			return n, fmt.Errorf("%w: %v", errBadReceipt, err)
		}
		if !f(i, code, reason) {
			return n, nil
		}
	}
	if err := r.Finish(); err != nil {
		return n, fmt.Errorf("%w: %v", errBadReceipt, err)
	}
	return n, nil
}

// receiptAt reads the receipt of the transaction at index from a block's
// record.
func receiptAt(rec []byte, height uint64, index uint32) (Receipt, bool, error) {
	var out Receipt
	found := false
	n, err := eachReceipt(rec, func(i uint32, code Code, reason []byte) bool {
		if i < index {
			return true
		}
		found = code != noReceipt
		out = Receipt{Height: height, Index: index, Code: code, Reason: string(reason)}
		return false
	})
	switch {
	case err != nil:
		return Receipt{}, false, fmt.Errorf("height %d: %w", height, err)
	case index >= n:
		return Receipt{}, false, fmt.Errorf("%w: index %d of %d at height %d", errBadReceipt, index, n, height)
	case !found:
		return Receipt{}, false, nil
	}
	return out, true, nil
}

// hasReceipt lists which transactions of a block got a receipt, from its
// record: what the index holds for the block.
func hasReceipt(rec []byte) ([]bool, error) {
	var has []bool
	_, err := eachReceipt(rec, func(_ uint32, code Code, _ []byte) bool {
		has = append(has, code != noReceipt)
		return true
	})
	if err != nil {
		return nil, err
	}
	return has, nil
}

func receiptsKey(h uint64) []byte { return binary.BigEndian.AppendUint64([]byte{pReceipts}, h) }

// Receipt returns a committed transaction's receipt.
func (m *Machine) Receipt(h types.Hash) (Receipt, error) {
	loc, ok, err := m.index.Lookup(h)
	if err != nil {
		return Receipt{}, err
	}
	if !ok {
		return Receipt{}, store.ErrNotFound
	}
	rec, err := m.store.Get(receiptsKey(loc.Height))
	if err != nil {
		// Indexed as the block executed; its record is written just after.
		return Receipt{}, err
	}
	r, ok, err := receiptAt(rec, loc.Height, loc.Index)
	if err != nil {
		return Receipt{}, err
	}
	if !ok {
		return Receipt{}, fmt.Errorf("%w: index points at height %d index %d, which has none", errBadReceipt, loc.Height, loc.Index)
	}
	return r, nil
}
