package staking

import "math/bits"

// The helpers below are the only arithmetic the package does on amounts:
// products go through 128 bits so a*b/c is exact for every uint64 input,
// and every sum reports overflow instead of wrapping.

// add returns a+b and false if it overflows.
func add(a, b uint64) (uint64, bool) {
	s, carry := bits.Add64(a, b, 0)
	return s, carry == 0
}

// mulDiv returns floor(a*b/c) and false if c is 0 or the result does not
// fit in 64 bits.
func mulDiv(a, b, c uint64) (uint64, bool) {
	hi, lo := bits.Mul64(a, b)
	if c == 0 || hi >= c {
		return 0, false
	}
	q, _ := bits.Div64(hi, lo, c)
	return q, true
}

// mulDivUp returns ceil(a*b/c) and false if c is 0 or the result does not
// fit in 64 bits.
func mulDivUp(a, b, c uint64) (uint64, bool) {
	hi, lo := bits.Mul64(a, b)
	if c == 0 || hi >= c {
		return 0, false
	}
	q, r := bits.Div64(hi, lo, c)
	if r == 0 {
		return q, true
	}
	return add(q, 1)
}

// bpsOf returns floor(x*bps/10000) with bps capped at 10000, so the result
// never exceeds x and cannot overflow.
func bpsOf(x uint64, bps uint32) uint64 {
	q, _ := mulDiv(x, uint64(min(bps, MaxBps)), MaxBps)
	return q
}

// lessProduct reports whether a*b < c*d, exactly.
func lessProduct(a, b, c, d uint64) bool {
	lh, ll := bits.Mul64(a, b)
	rh, rl := bits.Mul64(c, d)
	return lh < rh || (lh == rh && ll < rl)
}
