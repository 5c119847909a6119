package staking

import (
	"errors"
	"fmt"
	"math/bits"
)

// ErrSupply is wrapped by CheckSupply when tokens were created or lost.
var ErrSupply = errors.New("staking: supply invariant broken")

// Supply accounts for every token staking has touched. Minted includes the
// genesis stakes and every reward paid; Burned is the part of slashes not
// paid to reporters.
type Supply struct {
	Minted    uint64
	Burned    uint64
	Bonded    uint64 // sum of validators' Tokens
	Unbonding uint64 // sum of unbonding entries
}

// Supply returns the current totals. Bonded and Unbonding saturate at the
// uint64 maximum, which a chain whose supply fits in 64 bits never reaches.
func (s *State) Supply() Supply {
	var bonded, unbonding uint64
	for _, v := range s.validators {
		bonded = satAdd(bonded, v.Tokens)
	}
	for _, e := range s.unbonding {
		unbonding = satAdd(unbonding, e.Amount)
	}
	return Supply{Minted: s.minted, Burned: s.burned, Bonded: bonded, Unbonding: unbonding}
}

// CheckSupply checks that no token was created or lost:
// sumBalances + Bonded + Unbonding == genesisSupply + Minted - Burned,
// where genesisSupply is the liquid supply of the genesis file. The sums
// are taken in 128 bits so the check itself cannot overflow.
func (s *State) CheckSupply(sumBalances, genesisSupply uint64) error {
	sup := s.Supply()
	lh, ll := sum128(sumBalances, sup.Bonded, sup.Unbonding)
	rh, rl := sum128(genesisSupply, sup.Minted)
	rl, borrow := bits.Sub64(rl, sup.Burned, 0)
	rh -= borrow
	if lh != rh || ll != rl {
		return fmt.Errorf("%w: balances %d + bonded %d + unbonding %d != genesis %d + minted %d - burned %d",
			ErrSupply, sumBalances, sup.Bonded, sup.Unbonding, genesisSupply, sup.Minted, sup.Burned)
	}
	return nil
}

func sum128(xs ...uint64) (hi, lo uint64) {
	for _, x := range xs {
		var c uint64
		lo, c = bits.Add64(lo, x, 0)
		hi += c
	}
	return hi, lo
}

func satAdd(a, b uint64) uint64 {
	if s, ok := add(a, b); ok {
		return s
	}
	return ^uint64(0)
}
