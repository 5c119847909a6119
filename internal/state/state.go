package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

// Code is a receipt's outcome.
type Code uint8

const (
	OK Code = iota
	BadSignature
	WrongChain
	BadNonce
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
	}
	return fmt.Sprintf("code %d", uint8(c))
}

// Receipt records what happened to a committed transaction.
type Receipt struct {
	Height uint64
	Index  uint32
	Code   Code
}

const (
	pNonce   = 'N'
	pReceipt = 'R'
)

// Verified reports whether a transaction's signature is already known to
// be valid (the mempool checked it); others are checked here.
type Verified func(types.Hash) bool

// Machine applies committed blocks.
type Machine struct {
	chainID  string
	store    *store.Store
	verified Verified

	// Writes not yet known durable, read ahead of the store. The mutex is
	// for readers on API goroutines; Apply runs on the driver alone.
	mu       sync.RWMutex
	nonces   map[[32]byte]uint64
	receipts map[types.Hash]bool
}

// New returns a machine reading committed state from st.
func New(chainID string, st *store.Store, verified Verified) *Machine {
	if verified == nil {
		verified = func(types.Hash) bool { return false }
	}
	return &Machine{chainID: chainID, store: st, verified: verified, nonces: map[[32]byte]uint64{}, receipts: map[types.Hash]bool{}}
}

// Nonce returns a sender's next nonce in committed state.
func (m *Machine) Nonce(sender []byte) uint64 {
	var s [32]byte
	copy(s[:], sender)
	m.mu.RLock()
	n, ok := m.nonces[s]
	m.mu.RUnlock()
	if ok {
		return n
	}
	v, err := m.store.Get(append([]byte{pNonce}, s[:]...))
	if err != nil || len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// Apply executes committed blocks in order and returns the writes to store
// with the commit. Receipts are written once and never change:
//   - a transaction that executes gets an OK receipt;
//   - one that can never execute (bad signature, another chain) gets a
//     failure receipt, unless it already has a receipt;
//   - one whose nonce is not the sender's next changes nothing and gets no
//     receipt: a replay keeps its first receipt, and one sent ahead of a
//     gap may still execute once the gap is filled.
func (m *Machine) Apply(blocks []*types.Block) []store.KV {
	var kvs []store.KV
	for _, b := range blocks {
		ok := m.checkSigs(b.Txs)
		for i, tx := range b.Txs {
			h := tx.Hash()
			code := m.applyTx(tx, ok[i])
			// Only the rare permanent failures need the receipt lookup.
			if code == BadNonce || (code != OK && m.committed(h)) {
				continue
			}
			m.mu.Lock()
			if code == OK {
				var s [32]byte
				copy(s[:], tx.Sender)
				m.nonces[s] = tx.Nonce + 1
				kvs = append(kvs, store.KV{Key: append([]byte{pNonce}, s[:]...), Value: binary.BigEndian.AppendUint64(nil, tx.Nonce+1)})
			}
			m.receipts[h] = true
			m.mu.Unlock()
			kvs = append(kvs, store.KV{Key: append([]byte{pReceipt}, h[:]...), Value: encodeReceipt(Receipt{Height: b.Height, Index: uint32(i), Code: code})})
		}
	}
	return kvs
}

func (m *Machine) committed(h types.Hash) bool {
	m.mu.RLock()
	seen := m.receipts[h]
	m.mu.RUnlock()
	if seen {
		return true
	}
	_, err := m.store.Get(append([]byte{pReceipt}, h[:]...))
	return err == nil
}

// Flushed tells the machine its writes are durable, so the read-ahead
// caches can be dropped once they grow.
func (m *Machine) Flushed() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.nonces)+len(m.receipts) > 200_000 {
		clear(m.nonces)
		clear(m.receipts)
	}
}

func (m *Machine) checkSigs(txs []*types.Tx) []bool {
	ok := make([]bool, len(txs))
	var check []*types.Tx
	var pos []int
	for i, tx := range txs {
		if m.verified(tx.Hash()) {
			ok[i] = true
			continue
		}
		check = append(check, tx)
		pos = append(pos, i)
	}
	for j, v := range types.VerifyTxs(check) {
		ok[pos[j]] = v
	}
	return ok
}

func (m *Machine) applyTx(tx *types.Tx, sigOK bool) Code {
	switch {
	case !sigOK:
		return BadSignature
	case tx.ChainID != m.chainID:
		return WrongChain
	case tx.Nonce != m.Nonce(tx.Sender):
		return BadNonce
	}
	return OK
}

// Receipt returns a committed transaction's receipt.
func (m *Machine) Receipt(h types.Hash) (Receipt, error) {
	v, err := m.store.Get(append([]byte{pReceipt}, h[:]...))
	if err != nil {
		return Receipt{}, err
	}
	return decodeReceipt(v)
}

func encodeReceipt(r Receipt) []byte {
	b := binary.BigEndian.AppendUint64(nil, r.Height)
	b = binary.BigEndian.AppendUint32(b, r.Index)
	return append(b, byte(r.Code))
}

var errBadReceipt = errors.New("state: malformed receipt")

func decodeReceipt(b []byte) (Receipt, error) {
	if len(b) != 13 {
		return Receipt{}, errBadReceipt
	}
	return Receipt{Height: binary.BigEndian.Uint64(b), Index: binary.BigEndian.Uint32(b[8:]), Code: Code(b[12])}, nil
}
