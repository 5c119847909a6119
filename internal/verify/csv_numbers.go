package verify

import (
	"strconv"
	"unsafe"
)

// The cell parsers below decide exactly as parseText does, without a
// string per cell: a fast path for the plain shapes CSV files mostly hold,
// strconv on a borrowed string view for the rest. parseText still writes
// every rejection's words.

// parseInt accepts exactly what strconv.ParseInt(s, 10, 64) accepts. An
// optional '-' and at most 18 digits cannot overflow, so those are summed
// here; any other shape goes to strconv.
func parseInt(b []byte) (int64, bool) {
	digits := b
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		return parseIntSlow(b)
	}
	var v int64
	for _, c := range digits {
		d := c - '0'
		if d > 9 {
			return parseIntSlow(b)
		}
		v = v*10 + int64(d)
	}
	if len(digits) < len(b) {
		v = -v
	}
	return v, true
}

func parseIntSlow(b []byte) (int64, bool) {
	v, err := strconv.ParseInt(unsafeString(b), 10, 64)
	return v, err == nil
}

// float64pow10 holds the powers of ten that float64 represents exactly.
var float64pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// parseFloat accepts exactly what parseFinite accepts, with the same
// value. A plain decimal ("-123.45") of at most 15 digits is an integer
// below 2^53 over an exact power of ten, so one IEEE division rounds it
// correctly, which is what strconv.ParseFloat returns too; any other shape
// (exponents, "+", ".5", "5.", long mantissas) goes to parseFinite.
func parseFloat(b []byte) (float64, bool) {
	digits := b
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	var mant uint64 // may wrap past 15 digits, which go to parseFinite
	i := 0
	for ; i < len(digits) && digits[i]-'0' <= 9; i++ {
		mant = mant*10 + uint64(digits[i]-'0')
	}
	whole, frac := i, 0
	if i < len(digits) && digits[i] == '.' {
		for i++; i < len(digits) && digits[i]-'0' <= 9; i++ {
			mant = mant*10 + uint64(digits[i]-'0')
			frac++
		}
		if frac == 0 {
			return parseFloatSlow(b)
		}
	}
	if i < len(digits) || whole == 0 || whole+frac > 15 {
		return parseFloatSlow(b)
	}
	f := float64(mant) / float64pow10[frac]
	if len(digits) < len(b) {
		f = -f
	}
	return f, true
}

func parseFloatSlow(b []byte) (float64, bool) {
	f, err := parseFinite(unsafeString(b))
	return f, err == nil
}

func parseBool(b []byte) (int64, bool) {
	switch string(b) {
	case "true":
		return 1, true
	case "false":
		return 0, true
	}
	return 0, false
}

// unsafeString views b as a string for a parse that does not keep it.
func unsafeString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}
