package bls

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto"
)

func TestAggregate(t *testing.T) {
	s := Scheme{}
	msg := []byte("qc for block 9")
	for _, n := range []int{1, 4, 64} {
		t.Run(fmt.Sprintf("signers=%d", n), func(t *testing.T) {
			keys := testKeys(t, n+1)
			signers, outsider := keys[:n], keys[n]
			pks := pubKeys(signers)
			agg, err := s.Aggregate(signAll(signers, msg))
			if err != nil {
				t.Fatalf("Aggregate: %v", err)
			}
			cases := []struct {
				name string
				pks  []crypto.PublicKey
				msg  []byte
				want bool
			}{
				{"valid", pks, msg, true},
				{"wrong message", pks, []byte("qc for block 10"), false},
				{"missing signer", pks[:n-1], msg, false},
				{"extra key", append(append([]crypto.PublicKey{}, pks...), outsider.PublicKey()), msg, false},
				{"outsider replaces signer", append([]crypto.PublicKey{outsider.PublicKey()}, pks[1:]...), msg, false},
			}
			for _, tc := range cases {
				if got := s.VerifyAggregate(tc.pks, tc.msg, agg); got != tc.want {
					t.Errorf("%s: VerifyAggregate = %v, want %v", tc.name, got, tc.want)
				}
			}
		})
	}
}

func TestAggregateBadSignature(t *testing.T) {
	s := Scheme{}
	keys := testKeys(t, 4)
	msg := []byte("vote")
	sigs := signAll(keys, msg)
	sigs[2] = keys[2].Sign([]byte("other vote")) // valid point, wrong message
	agg, err := s.Aggregate(sigs)
	if err != nil {
		t.Fatalf("Aggregate: %v", err)
	}
	if s.VerifyAggregate(pubKeys(keys), msg, agg) {
		t.Fatal("aggregate containing a signature on another message verified")
	}
	for name, bad := range map[string][]byte{
		"flipped bit": flipBit(sigs[0], 8*(SignatureSize-1)),
		"short":       sigs[0][:SignatureSize-2],
		"zeros":       make([]byte, SignatureSize),
	} {
		in := [][]byte{sigs[0], sigs[1], bad, sigs[3]}
		if _, err := s.Aggregate(in); err == nil {
			t.Errorf("%s: Aggregate accepted a malformed signature", name)
		}
	}
	if _, err := s.Aggregate(nil); err == nil {
		t.Error("Aggregate accepted no signatures")
	}
	if s.VerifyAggregate(nil, msg, sigs[0]) {
		t.Error("VerifyAggregate accepted an empty key set")
	}
}

func TestAggregateDuplicateSigner(t *testing.T) {
	s := Scheme{}
	k := testKey(t, 6)
	sig := k.Sign([]byte("m"))
	agg, err := s.Aggregate([][]byte{sig, sig})
	if err != nil {
		t.Fatal(err)
	}
	pks := []crypto.PublicKey{k.PublicKey(), k.PublicKey()}
	if !s.VerifyAggregate(pks, []byte("m"), agg) || s.VerifyAggregate(pks[:1], []byte("m"), agg) {
		t.Fatal("a repeated signer must count once per entry")
	}
}

func TestVerifyAggregateMulti(t *testing.T) {
	s := Scheme{}
	keys := testKeys(t, 9)
	m1, m2, m3 := []byte("timeout view 5, high qc 3"), []byte("timeout view 5, high qc 4"), []byte("timeout view 5, high qc 2")
	groups := [][]*SecretKey{keys[0:3], keys[3:5], keys[5:9]}
	sign := func(gs [][]*SecretKey, msgs [][]byte) []byte {
		var sigs [][]byte
		for i, g := range gs {
			sigs = append(sigs, signAll(g, msgs[i])...)
		}
		agg, err := s.Aggregate(sigs)
		if err != nil {
			t.Fatal(err)
		}
		return agg
	}
	pk := func(gs ...[]*SecretKey) [][]crypto.PublicKey {
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
		{"single-message sig", pk(groups[0]), [][]byte{m1}, sign(groups[:1], [][]byte{m1}), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.VerifyAggregateMulti(tc.pks, tc.msgs, tc.sig); got != tc.want {
				t.Fatalf("VerifyAggregateMulti = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestConcurrentVerify(t *testing.T) {
	s := Scheme{}
	keys := testKeys(t, 4)
	msg := []byte("concurrent")
	agg, err := s.Aggregate(signAll(keys, msg))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if !s.VerifyAggregate(pubKeys(keys), msg, agg) || !s.Verify(keys[0].PublicKey(), msg, keys[0].Sign(msg)) {
				t.Error("concurrent verification failed")
			}
		})
	}
	wg.Wait()
}
