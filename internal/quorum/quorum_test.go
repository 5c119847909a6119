package quorum

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

func TestThreshold(t *testing.T) {
	cases := []struct{ total, want uint64 }{
		{1, 1}, {2, 2}, {3, 3}, {4, 3}, {6, 5}, {7, 5}, {9, 7}, {10, 7}, {100, 67},
		{math.MaxUint64, math.MaxUint64/3*2 + 1},
	}
	for _, c := range cases {
		if got := Threshold(c.total); got != c.want {
			t.Errorf("Threshold(%d) = %d, want %d", c.total, got, c.want)
		}
	}
}

// naiveThreshold is the definition, in big integers: the least q with 3q > 2*total.
func naiveThreshold(total uint64) uint64 {
	two := new(big.Int).Mul(new(big.Int).SetUint64(total), big.NewInt(2))
	q := new(big.Int).Div(two, big.NewInt(3))
	return q.Add(q, big.NewInt(1)).Uint64()
}

// Property: Threshold matches the naive definition, it is strictly more than
// 2/3, one less is not, and two quorums always share more than MaxFaulty.
func TestThresholdProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 100000; i++ {
		total := r.Uint64()
		if i%2 == 0 {
			total = r.Uint64N(1000) + 1
		}
		q := Threshold(total)
		if q != naiveThreshold(total) {
			t.Fatalf("total %d: got %d, naive %d", total, q, naiveThreshold(total))
		}
		if !ReachedFraction(q, total, 2, 3, true) {
			t.Fatalf("total %d: threshold %d is not > 2/3", total, q)
		}
		if ReachedFraction(q-1, total, 2, 3, true) {
			t.Fatalf("total %d: %d already > 2/3, threshold not minimal", total, q-1)
		}
		overlap := new(big.Int).Sub(new(big.Int).Mul(big.NewInt(2), new(big.Int).SetUint64(q)), new(big.Int).SetUint64(total))
		if overlap.Cmp(new(big.Int).SetUint64(MaxFaulty(total))) <= 0 {
			t.Fatalf("total %d: quorum overlap %s not above faulty bound %d", total, overlap, MaxFaulty(total))
		}
	}
}

// Property against head-count: with random stakes, a subset is a quorum
// exactly when its stake sum, computed naively, exceeds 2/3 of the total.
func TestReachedRandomSets(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 2000; i++ {
		n := 1 + r.IntN(64)
		stakes := make([]uint64, n)
		for j := range stakes {
			stakes[j] = 1 + r.Uint64N(1_000_000)
		}
		total, err := Total(stakes)
		if err != nil {
			t.Fatal(err)
		}
		var sub uint64
		for _, s := range stakes {
			if r.IntN(2) == 0 {
				sub += s
			}
		}
		want := 3*sub > 2*total
		if got := Reached(sub, total); got != want {
			t.Fatalf("stakes %v sub %d: Reached=%v want %v", stakes, sub, got, want)
		}
	}
}

func TestTotalErrors(t *testing.T) {
	cases := []struct {
		name   string
		stakes []uint64
		err    error
	}{
		{"empty", nil, ErrZeroStake},
		{"zero", []uint64{1, 0}, ErrZeroStake},
		{"overflow", []uint64{math.MaxUint64, 1}, ErrOverflow},
		{"ok", []uint64{1, 2, 3}, nil},
	}
	for _, c := range cases {
		_, err := Total(c.stakes)
		if !errors.Is(err, c.err) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.err)
		}
	}
}

func TestReachedFraction(t *testing.T) {
	cases := []struct {
		stake, total, num, den uint64
		strict, want           bool
	}{
		{50, 100, 1, 2, false, true},
		{50, 100, 1, 2, true, false},
		{51, 100, 1, 2, true, true},
		{math.MaxUint64, math.MaxUint64, 1, 1, false, true},
		{0, 10, 0, 1, false, true},
	}
	for _, c := range cases {
		if got := ReachedFraction(c.stake, c.total, c.num, c.den, c.strict); got != c.want {
			t.Errorf("%+v: got %v", c, got)
		}
	}
}
