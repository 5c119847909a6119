package quorum

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
)

// ErrOverflow reports stakes whose sum does not fit in a uint64.
var ErrOverflow = errors.New("quorum: total stake overflows uint64")

// ErrZeroStake reports a validator with no stake or an empty set.
var ErrZeroStake = errors.New("quorum: zero stake")

// Threshold returns the least stake that is strictly more than 2/3 of total:
// floor(2*total/3) + 1. Computed in 128 bits so that totals near
// math.MaxUint64 are exact.
func Threshold(total uint64) uint64 {
	hi, lo := bits.Mul64(total, 2)
	q, _ := bits.Div64(hi, lo, 3)
	return q + 1
}

// MaxFaulty returns the most stake that may be Byzantine while quorums of
// Threshold(total) still intersect in an honest validator: total - Threshold.
// Two quorums overlap in at least 2*Threshold - total > MaxFaulty stake.
func MaxFaulty(total uint64) uint64 {
	return total - Threshold(total)
}

// Reached reports whether stake is a quorum of total.
func Reached(stake, total uint64) bool {
	return stake >= Threshold(total)
}

// ReachedFraction reports whether stake is at least num/den of total,
// strictly more when strict is set. It is for policies such as an iDAO
// threshold; den must be non-zero and num <= den.
func ReachedFraction(stake, total, num, den uint64, strict bool) bool {
	// Compare stake*den with total*num in 128 bits.
	lh, ll := bits.Mul64(stake, den)
	rh, rl := bits.Mul64(total, num)
	if lh != rh {
		return lh > rh
	}
	if strict {
		return ll > rl
	}
	return ll >= rl
}

// Total sums stakes, rejecting zero entries and overflow.
func Total(stakes []uint64) (uint64, error) {
	if len(stakes) == 0 {
		return 0, fmt.Errorf("empty validator set: %w", ErrZeroStake)
	}
	var sum uint64
	for i, s := range stakes {
		if s == 0 {
			return 0, fmt.Errorf("validator %d: %w", i, ErrZeroStake)
		}
		if sum > math.MaxUint64-s {
			return 0, ErrOverflow
		}
		sum += s
	}
	return sum, nil
}
