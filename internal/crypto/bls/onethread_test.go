package bls

import (
	"runtime"
	"testing"

	blst "github.com/supranational/blst/bindings/go"

	"github.com/lazchain/lazchain/internal/crypto"
)

// TestCheckOnOneThread runs the checks a node makes through blst's serial
// paths (one Miller loop call for both pairs, batch checks without worker
// goroutines): they must accept and reject exactly what the parallel ones
// do.
func TestCheckOnOneThread(t *testing.T) {
	CheckOnOneThread()
	t.Cleanup(func() { blst.SetMaxProcs(runtime.GOMAXPROCS(0)) })
	s := Scheme{}
	keys := testKeys(t, 4)
	msg, other := []byte("vote 7"), []byte("vote 8")
	agg, err := s.Aggregate(signAll(keys, msg))
	if err != nil {
		t.Fatal(err)
	}
	aggOther, err := s.Aggregate(signAll(keys, other))
	if err != nil {
		t.Fatal(err)
	}
	pks := pubKeys(keys)
	for _, kept := range []bool{false, true} {
		forgetSigned()
		if kept {
			keys[0].Sign(msg) // the hash comes from the cache: verifyHashed
		}
		cases := []struct {
			name string
			pks  []crypto.PublicKey
			sig  []byte
			want bool
		}{
			{"valid", pks, agg, true},
			{"missing signer", pks[1:], agg, false},
			{"other message", pks, aggOther, false},
			{"identity signature", pks, identitySig(), false},
		}
		for _, tc := range cases {
			if got := s.VerifyAggregate(tc.pks, msg, tc.sig); got != tc.want {
				t.Errorf("kept=%v %s: VerifyAggregate = %v, want %v", kept, tc.name, got, tc.want)
			}
		}
	}
	batch := [][]crypto.PublicKey{pks, pks}
	if !s.VerifyAggregates(batch, [][]byte{msg, other}, [][]byte{agg, aggOther}) {
		t.Error("VerifyAggregates rejected two valid aggregates")
	}
	if s.VerifyAggregates(batch, [][]byte{msg, other}, [][]byte{aggOther, agg}) {
		t.Error("VerifyAggregates accepted swapped aggregates")
	}
}
