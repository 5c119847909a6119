package bls

import (
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto"
)

var benchMsg = []byte("lazchain benchmark: vote for block 0x00000000000000000000000000000000")

func BenchmarkSign(b *testing.B) {
	k := testKey(b, 0)
	for b.Loop() {
		k.Sign(benchMsg)
	}
}

func BenchmarkVerify(b *testing.B) {
	k := testKey(b, 0)
	sig := k.Sign(benchMsg)
	s := Scheme{}
	for b.Loop() {
		if !s.Verify(k.PublicKey(), benchMsg, sig) {
			b.Fatal("verify failed")
		}
	}
}

func BenchmarkParsePublicKey(b *testing.B) {
	enc := testKey(b, 0).PublicKey().Bytes()
	s := Scheme{}
	for b.Loop() {
		if _, err := s.ParsePublicKey(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAggregate100(b *testing.B) {
	sigs := signAll(testKeys(b, 100), benchMsg)
	s := Scheme{}
	for b.Loop() {
		if _, err := s.Aggregate(sigs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyAggregate is the cost of checking one quorum certificate:
// summing the signers' keys plus one pairing check.
func BenchmarkVerifyAggregate(b *testing.B) {
	s := Scheme{}
	for _, n := range []int{4, 16, 64, 128} {
		keys := testKeys(b, n)
		agg, err := s.Aggregate(signAll(keys, benchMsg))
		if err != nil {
			b.Fatal(err)
		}
		pks := pubKeys(keys)
		// kept: this process signed the message too (a validator checking
		// the QC of its own vote), so its hash to G1 is reused.
		for _, kept := range []bool{false, true} {
			b.Run(fmt.Sprintf("signers=%d/kept=%v", n, kept), func(b *testing.B) {
				forgetSigned()
				if kept {
					keys[0].Sign(benchMsg)
				}
				for b.Loop() {
					if !s.VerifyAggregate(pks, benchMsg, agg) {
						b.Fatal("verify failed")
					}
				}
			})
		}
	}
}

// BenchmarkVerifyAggregateMulti2 is a timeout certificate whose signers
// reported two different high QCs: 2 Miller loops, 64 keys in all.
func BenchmarkVerifyAggregateMulti2(b *testing.B) {
	s := Scheme{}
	keys := testKeys(b, 64)
	m1, m2 := append([]byte("1"), benchMsg...), append([]byte("2"), benchMsg...)
	sigs := append(signAll(keys[:32], m1), signAll(keys[32:], m2)...)
	agg, err := s.Aggregate(sigs)
	if err != nil {
		b.Fatal(err)
	}
	pks := [][]crypto.PublicKey{pubKeys(keys[:32]), pubKeys(keys[32:])}
	msgs := [][]byte{m1, m2}
	for b.Loop() {
		if !s.VerifyAggregateMulti(pks, msgs, agg) {
			b.Fatal("verify failed")
		}
	}
}
