package state

import (
	"encoding/binary"

	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/store"
)

// Account is one address's liquid balance and next nonce.
type Account struct {
	Balance uint64
	Nonce   uint64
}

func accountKey(a staking.Address) []byte { return append([]byte{pAccount}, a[:]...) }

func encodeAccount(a Account) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 16), a.Nonce)
	return binary.BigEndian.AppendUint64(b, a.Balance)
}

func decodeAccount(v []byte) (Account, bool) {
	if len(v) != 16 {
		return Account{}, false
	}
	return Account{Nonce: binary.BigEndian.Uint64(v), Balance: binary.BigEndian.Uint64(v[8:])}, true
}

// Account returns an address's committed account (zero if it has none).
func (m *Machine) Account(a staking.Address) Account {
	m.mu.RLock()
	acc, ok := m.accounts[a]
	gen := m.cacheGen
	m.mu.RUnlock()
	if ok {
		return acc
	}
	v, err := m.store.Get(accountKey(a))
	if err != nil {
		return Account{}
	}
	acc, _ = decodeAccount(v)
	// Read through: the mempool asks for the same senders' nonces over
	// and over, and a Pebble read costs far more than a map lookup. The
	// entry stays right because every write goes through the same map.
	// A write since the read put its own entry; a clear since the read
	// (cacheGen moved) may have dropped a newer one: either way the value
	// read may be stale and must not be cached.
	m.mu.Lock()
	if _, raced := m.accounts[a]; !raced && m.cacheGen == gen {
		m.accounts[a] = acc
	}
	m.mu.Unlock()
	return acc
}

// Nonce returns a sender's next nonce in committed state.
func (m *Machine) Nonce(sender []byte) uint64 {
	var a staking.Address
	copy(a[:], sender)
	return m.Account(a).Nonce
}

// bank is the staking package's view of balances during one Apply: reads
// see the block's earlier writes, and every write is queued for the batch.
type bank struct {
	m     *Machine
	dirty map[staking.Address]bool
	order []staking.Address // first-write order, so the batch is deterministic

	blockDirty map[staking.Address]bool // written in the current block
	blockOrder []staking.Address
}

// startBlock begins tracking the accounts one block writes, for the state
// tree, which commits block by block.
func (b *bank) startBlock() {
	if b.blockDirty == nil {
		b.blockDirty = map[staking.Address]bool{}
	}
	clear(b.blockDirty)
	b.blockOrder = b.blockOrder[:0]
}

// blockWrites are the current block's account writes.
func (b *bank) blockWrites() []store.KV {
	kvs := make([]store.KV, 0, len(b.blockOrder))
	for _, a := range b.blockOrder {
		kvs = append(kvs, store.KV{Key: accountKey(a), Value: encodeAccount(b.m.Account(a))})
	}
	return kvs
}

func (b *bank) Balance(a staking.Address) uint64 { return b.m.Account(a).Balance }

func (b *bank) SetBalance(a staking.Address, v uint64) {
	acc := b.m.Account(a)
	acc.Balance = v
	b.put(a, acc)
}

func (b *bank) setNonce(a staking.Address, n uint64) {
	acc := b.m.Account(a)
	acc.Nonce = n
	b.put(a, acc)
}

func (b *bank) put(a staking.Address, acc Account) {
	b.m.mu.Lock()
	b.m.accounts[a] = acc
	b.m.mu.Unlock()
	if !b.dirty[a] {
		b.dirty[a] = true
		b.order = append(b.order, a)
	}
	if b.blockDirty != nil && !b.blockDirty[a] {
		b.blockDirty[a] = true
		b.blockOrder = append(b.blockOrder, a)
	}
}

func (b *bank) writes() []store.KV {
	kvs := make([]store.KV, 0, len(b.order))
	for _, a := range b.order {
		kvs = append(kvs, store.KV{Key: accountKey(a), Value: encodeAccount(b.m.Account(a))})
	}
	return kvs
}
