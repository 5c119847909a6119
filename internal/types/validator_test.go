package types_test

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/quorum"
	"github.com/lazchain/lazchain/internal/types"
)

func TestBitmap(t *testing.T) {
	for _, n := range []int{1, 7, 8, 9, 16, 100, types.MaxValidators} {
		b := types.NewBitmap(n)
		if len(b) != (n+7)/8 || b.Count() != 0 || len(b.Indices()) != 0 {
			t.Fatalf("n=%d: new bitmap %x not empty or wrong size", n, b)
		}
		var want []int
		for i := 0; i < n; i += 1 + i%5 {
			b.Set(i)
			b.Set(i) // idempotent
			want = append(want, i)
		}
		if got := b.Indices(); !reflect.DeepEqual(got, want) {
			t.Fatalf("n=%d: indices %v, want %v", n, got, want)
		}
		if b.Count() != len(want) {
			t.Fatalf("n=%d: count %d, want %d", n, b.Count(), len(want))
		}
		for i := -1; i < len(b)*8+9; i++ {
			marked := false
			for _, w := range want {
				marked = marked || w == i
			}
			if b.Has(i) != marked {
				t.Fatalf("n=%d: Has(%d) = %v", n, i, b.Has(i))
			}
		}
		if err := b.CheckSize(n); err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
	}
	if b := types.NewBitmap(10); b.Has(-8) || b.Has(1<<20) {
		t.Fatal("Has out of range")
	}
}

func TestBitmapCheckSize(t *testing.T) {
	cases := []struct {
		name string
		b    types.Bitmap
		n    int
		ok   bool
	}{
		{"exact", types.Bitmap{0xff, 0x03}, 10, true},
		{"full byte", types.Bitmap{0xff}, 8, true},
		{"empty set", types.Bitmap{}, 0, true},
		{"stray bit 10", types.Bitmap{0xff, 0x07}, 10, false},
		{"stray top bit", types.Bitmap{0x00, 0x80}, 9, false},
		{"one byte short", types.Bitmap{0xff}, 9, false},
		{"one byte long", types.Bitmap{0x01, 0x00}, 8, false},
		{"nil for one", nil, 1, false},
	}
	for _, c := range cases {
		err := c.b.CheckSize(c.n)
		if c.ok != (err == nil) || (err != nil && !errors.Is(err, codec.ErrInvalid)) {
			t.Errorf("%s: CheckSize(%d) = %v", c.name, c.n, err)
		}
	}
}

// fakeKey is a public key for sets whose signatures are never verified.
type fakeKey struct{ b []byte }

func (k fakeKey) Bytes() []byte { return k.b }

func fakeSet(t *testing.T, epoch uint64, stakes ...uint64) *types.ValidatorSet {
	t.Helper()
	vals := make([]types.Validator, len(stakes))
	for i, s := range stakes {
		vals[i] = types.Validator{PubKey: fakeKey{[]byte(fmt.Sprintf("key-%d", i))}, Stake: s}
	}
	vs, err := types.NewValidatorSet(testChain, epoch, nil, vals)
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestNewValidatorSet(t *testing.T) {
	k := func(s string) fakeKey { return fakeKey{[]byte(s)} }
	many := make([]types.Validator, types.MaxValidators+1)
	for i := range many {
		many[i] = types.Validator{PubKey: k(fmt.Sprint(i)), Stake: 1}
	}
	cases := []struct {
		name string
		vals []types.Validator
		want error // nil: any error
	}{
		{"empty", nil, quorum.ErrZeroStake},
		{"zero stake", []types.Validator{{k("a"), 1}, {k("b"), 0}}, quorum.ErrZeroStake},
		{"overflow", []types.Validator{{k("a"), math.MaxUint64}, {k("b"), 1}}, quorum.ErrOverflow},
		{"duplicate key", []types.Validator{{k("a"), 1}, {k("b"), 2}, {k("a"), 3}}, nil},
		{"too many", many, nil},
	}
	for _, c := range cases {
		vs, err := types.NewValidatorSet(testChain, 1, nil, c.vals)
		if err == nil || vs != nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: set %v, err %v, want %v", c.name, vs != nil, err, c.want)
		}
	}

	vs := fakeSet(t, 3, 1, 1, 1, 2)
	if vs.Len() != 4 || vs.TotalStake() != 5 || vs.QuorumStake() != 4 {
		t.Fatalf("len %d total %d quorum %d", vs.Len(), vs.TotalStake(), vs.QuorumStake())
	}
	if vs.IndexOf([]byte("key-3")) != 3 || vs.IndexOf([]byte("nobody")) != -1 {
		t.Fatal("IndexOf")
	}
	if vs.StakeOf(3) != 2 || vs.StakeOf(-1) != 0 || vs.StakeOf(4) != 0 {
		t.Fatal("StakeOf")
	}
	b := types.NewBitmap(4)
	b.Set(0)
	b.Set(3)
	if vs.BitmapStake(b) != 3 {
		t.Fatalf("BitmapStake %d, want 3", vs.BitmapStake(b))
	}
	if err := vs.VerifySig(4, nil, nil); !errors.Is(err, types.ErrUnknownIndex) {
		t.Fatalf("VerifySig out of range: %v", err)
	}
	if err := vs.VerifySig(-1, nil, nil); !errors.Is(err, types.ErrUnknownIndex) {
		t.Fatalf("VerifySig negative: %v", err)
	}
}

func TestLeaderDeterministicAndInRange(t *testing.T) {
	sets := []*types.ValidatorSet{
		fakeSet(t, 0, 1),
		fakeSet(t, 1, 5, 5, 5),
		fakeSet(t, 2, math.MaxUint64-3, 1, 1, 1),
		fakeSet(t, 3, 1, 1<<40, 1),
	}
	for si, vs := range sets {
		again := fakeSet(t, vs.Epoch, stakesOf(vs)...)
		for _, r := range []uint64{0, 1, 2, 1000, math.MaxUint64} {
			l := vs.Leader(r)
			if l < 0 || l >= vs.Len() {
				t.Fatalf("set %d round %d: leader %d out of range", si, r, l)
			}
			if again.Leader(r) != l || vs.Leader(r) != l {
				t.Fatalf("set %d round %d: leader not deterministic", si, r)
			}
		}
	}
	// Different epochs draw different sequences.
	a, b := fakeSet(t, 1, 1, 1, 1, 1), fakeSet(t, 2, 1, 1, 1, 1)
	same := 0
	for r := uint64(0); r < 200; r++ {
		if a.Leader(r) == b.Leader(r) {
			same++
		}
	}
	if same > 100 {
		t.Fatalf("epochs 1 and 2 agree on %d of 200 leaders", same)
	}
}

func stakesOf(vs *types.ValidatorSet) []uint64 {
	out := make([]uint64, vs.Len())
	for i := range out {
		out[i] = vs.StakeOf(i)
	}
	return out
}

// TestLeaderStakeWeighted is deterministic: the draw is a hash of epoch and
// round, so this is a fixed outcome, not a statistical test that may flake.
func TestLeaderStakeWeighted(t *testing.T) {
	const rounds = 20000
	vs := fakeSet(t, 1, 1, 2, 3, 4)
	counts := make([]int, vs.Len())
	for r := uint64(0); r < rounds; r++ {
		counts[vs.Leader(r)]++
	}
	for i, c := range counts {
		share := 100 * float64(c) / rounds
		want := 100 * float64(vs.StakeOf(i)) / float64(vs.TotalStake())
		if math.Abs(share-want) > 3 {
			t.Errorf("validator %d led %.2f%% of rounds, stake share %.0f%%", i, share, want)
		}
	}
	t.Logf("leader counts over %d rounds: %v", rounds, counts)
}

func TestTxSignature(t *testing.T) {
	g := newGen(21)
	key := ed25519.NewKeyFromSeed(g.bytes(ed25519.SeedSize))
	other := ed25519.NewKeyFromSeed(g.bytes(ed25519.SeedSize))
	signed := func() *types.Tx {
		tx := &types.Tx{ChainID: testChain, Nonce: 7, Kind: 2, Body: []byte("transfer 10")}
		tx.Sign(key)
		return tx
	}
	if tx := signed(); !tx.Sender.Equal(key.Public()) || tx.VerifySig() != nil {
		t.Fatal("signed tx does not verify")
	}
	dec, err := types.DecodeTx(signed().Encode())
	if err != nil || dec.VerifySig() != nil {
		t.Fatalf("decoded tx does not verify: %v", err)
	}
	tamper := map[string]func(tx *types.Tx){
		"body":       func(tx *types.Tx) { tx.Body[0] ^= 1 },
		"longer":     func(tx *types.Tx) { tx.Body = append(tx.Body, 0) },
		"chain id":   func(tx *types.Tx) { tx.ChainID = "other-chain" },
		"nonce":      func(tx *types.Tx) { tx.Nonce++ },
		"kind":       func(tx *types.Tx) { tx.Kind++ },
		"sender":     func(tx *types.Tx) { tx.Sender = other.Public().(ed25519.PublicKey) },
		"sig":        func(tx *types.Tx) { tx.Sig[5] ^= 0x10 },
		"short key":  func(tx *types.Tx) { tx.Sender = tx.Sender[:31] },
		"no sig":     func(tx *types.Tx) { tx.Sig = nil },
		"other key":  func(tx *types.Tx) { tx.Sig = ed25519.Sign(other, tx.SigningBytes()) },
		"other body": func(tx *types.Tx) { tx.Body = []byte("transfer 99") },
	}
	for name, f := range tamper {
		tx := signed()
		f(tx)
		if err := tx.VerifySig(); !errors.Is(err, types.ErrBadSignature) {
			t.Errorf("%s: tampered tx verifies: %v", name, err)
		}
	}
	// The same key and fields on another chain give a different signature.
	a, b := signed(), &types.Tx{ChainID: "other-chain", Nonce: 7, Kind: 2, Body: []byte("transfer 10")}
	b.Sign(key)
	if string(a.Sig) == string(b.Sig) || a.Hash() == b.Hash() {
		t.Fatal("chain id is not bound into the signature and hash")
	}
}

// LeaderWeighted with the stakes as weights is Leader, and a weight of a
// 64th draws that validator about a 64th as often.
func TestLeaderWeighted(t *testing.T) {
	const rounds = 20000
	vs := fakeSet(t, 1, 10, 10, 10, 10)
	stakes := []uint64{10, 20, 30, 40}
	demoted := []uint64{640, 1280, 1920, 1930}
	counts := make([]int, vs.Len())
	for r := uint64(0); r < rounds; r++ {
		if a, b := vs.LeaderWeighted(r, stakes), vs.Leader(r); a != b {
			t.Fatalf("round %d: weighted by stake %d, Leader %d", r, a, b)
		}
		counts[vs.LeaderWeighted(r, demoted)]++
	}
	if share := float64(counts[3]) / rounds; share > 0.01 {
		t.Errorf("validator weighted at a 64th led %.2f%% of rounds, want about 0.5%%", 100*share)
	}
	for _, bad := range [][]uint64{nil, {1, 2}, {0, 0, 0, 0}} {
		if got, want := vs.LeaderWeighted(7, bad), vs.Leader(7); got != want {
			t.Errorf("weights %v: leader %d, want the plain draw's %d", bad, got, want)
		}
	}
	t.Logf("leader counts with validator 3 at a 64th: %v", counts)
}
