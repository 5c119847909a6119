package staking

import (
	"encoding/hex"
	"fmt"
)

// Address is an account: its ed25519 public key.
type Address [32]byte

// String returns the full hex encoding.
func (a Address) String() string { return hex.EncodeToString(a[:]) }

// MarshalText writes hex, so addresses read well in genesis.json.
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (a *Address) UnmarshalText(b []byte) error {
	if hex.DecodedLen(len(b)) != len(a) {
		return fmt.Errorf("address %q: want %d hex characters", b, 2*len(a))
	}
	if _, err := hex.Decode(a[:], b); err != nil {
		return fmt.Errorf("address %q: %w", b, err)
	}
	return nil
}

// Bank holds liquid balances. The state machine owns accounts and
// implements it; staking only reads and writes through it, so everything
// it changes in a block goes through one store.
type Bank interface {
	Balance(Address) uint64
	SetBalance(Address, uint64)
}

// MapBank is an in-memory Bank for tests and tools. A zero balance is
// deleted, so two banks with the same balances compare equal.
type MapBank map[Address]uint64

func (b MapBank) Balance(a Address) uint64 { return b[a] }

func (b MapBank) SetBalance(a Address, v uint64) {
	if v == 0 {
		delete(b, a)
		return
	}
	b[a] = v
}

// Sum returns the total of all balances and false if it overflows.
func (b MapBank) Sum() (uint64, bool) {
	var s uint64
	for _, v := range b {
		var ok bool
		if s, ok = add(s, v); !ok {
			return 0, false
		}
	}
	return s, true
}
