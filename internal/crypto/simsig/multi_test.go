package simsig

import (
	"slices"
	"sync"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto"
)

func TestVerifyAggregateMulti(t *testing.T) {
	reg := NewRegistry()
	s := reg.Scheme()
	keys := testKeys(reg, 9)
	m1, m2, m3 := []byte("high qc 3"), []byte("high qc 4"), []byte("high qc 2")
	groups := [][]*Key{keys[0:3], keys[3:5], keys[5:9]}
	sign := func(gs [][]*Key, msgs [][]byte) []byte {
		var sigs [][]byte
		for i, g := range gs {
			for _, k := range g {
				sigs = append(sigs, k.Sign(msgs[i]))
			}
		}
		agg, err := s.Aggregate(sigs)
		if err != nil {
			t.Fatal(err)
		}
		return agg
	}
	pk := func(gs ...[]*Key) [][]crypto.PublicKey {
		out := make([][]crypto.PublicKey, len(gs))
		for i, g := range gs {
			out[i] = pubKeys(g)
		}
		return out
	}
	two := sign(groups[:2], [][]byte{m1, m2})
	three := sign(groups, [][]byte{m1, m2, m3})
	repeated := sign(groups, [][]byte{m1, m2, m1})
	cases := []struct {
		name string
		pks  [][]crypto.PublicKey
		msgs [][]byte
		sig  []byte
		want bool
	}{
		{"two groups", pk(groups[0], groups[1]), [][]byte{m1, m2}, two, true},
		{"three groups", pk(groups...), [][]byte{m1, m2, m3}, three, true},
		{"repeated message", pk(groups...), [][]byte{m1, m2, m1}, repeated, true},
		{"repeated message merged by caller", pk(slices.Concat(groups[0], groups[2]), groups[1]), [][]byte{m1, m2}, repeated, true},
		{"swapped messages", pk(groups[0], groups[1]), [][]byte{m2, m1}, two, false},
		{"group dropped", pk(groups[0]), [][]byte{m1}, two, false},
		{"signer moved between groups", pk(keys[0:2], keys[2:5]), [][]byte{m1, m2}, two, false},
		{"length mismatch", pk(groups[0], groups[1]), [][]byte{m1}, two, false},
		{"empty group", pk(groups[0], groups[1], nil), [][]byte{m1, m2, m3}, two, false},
		{"no groups", nil, nil, two, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.VerifyAggregateMulti(tc.pks, tc.msgs, tc.sig); got != tc.want {
				t.Fatalf("VerifyAggregateMulti = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestProofOfPossession(t *testing.T) {
	reg := NewRegistry()
	s := reg.Scheme()
	keys := testKeys(reg, 2)
	alice, bob := keys[0], keys[1]
	proof := alice.ProvePossession()
	pkBytes := alice.PublicKey().Bytes()
	cases := []struct {
		name  string
		pk    crypto.PublicKey
		proof []byte
		want  bool
	}{
		{"valid", alice.PublicKey(), proof, true},
		{"proof of another key", alice.PublicKey(), bob.ProvePossession(), false},
		{"proof checked against another key", bob.PublicKey(), proof, false},
		{"signature over own key", alice.PublicKey(), alice.Sign(pkBytes), false},
		// The literal PoP input, signed as a message: domain tags differ.
		{"signature over pop input", alice.PublicKey(), alice.Sign(append([]byte("simsig-pop"), pkBytes...)), false},
		{"tampered", alice.PublicKey(), flipBit(proof, 0), false},
		{"aggregated proof", alice.PublicKey(), mustAggregate(t, s, proof, bob.ProvePossession()), false},
		{"nil key", nil, proof, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.VerifyPossession(tc.pk, tc.proof); got != tc.want {
				t.Fatalf("VerifyPossession = %v, want %v", got, tc.want)
			}
		})
	}
	if s.Verify(alice.PublicKey(), pkBytes, proof) {
		t.Fatal("a proof of possession verified as a signature")
	}
}

func mustAggregate(t *testing.T, s Scheme, sigs ...[]byte) []byte {
	agg, err := s.Aggregate(sigs)
	if err != nil {
		t.Fatal(err)
	}
	return agg
}

// TestConcurrentUse registers keys while others verify; run with -race.
func TestConcurrentUse(t *testing.T) {
	reg := NewRegistry()
	s := reg.Scheme()
	keys := testKeys(reg, 4)
	msg := []byte("concurrent")
	agg := aggregate(t, s, keys, msg)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			NewKey(reg, []byte{byte(i)})
			if !s.VerifyAggregate(pubKeys(keys), msg, agg) {
				t.Error("concurrent verification failed")
			}
		})
	}
	wg.Wait()
}

func BenchmarkVerifyAggregate64(b *testing.B) {
	reg := NewRegistry()
	s := reg.Scheme()
	keys := testKeys(reg, 64)
	msg := []byte("lazchain benchmark vote")
	agg := aggregate(b, s, keys, msg)
	pks := pubKeys(keys)
	for b.Loop() {
		if !s.VerifyAggregate(pks, msg, agg) {
			b.Fatal("verify failed")
		}
	}
}
