package bls

import (
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto"
)

// A batch passes only when every aggregate in it is valid, including when
// two invalid signatures would cancel in a plain sum.
func TestVerifyAggregates(t *testing.T) {
	var keys []*SecretKey
	var pubs []crypto.PublicKey
	for i := range 4 {
		sk, err := GenerateKey([]byte(fmt.Sprintf("batch-verify-test-key-seed-x-%04d", i)))
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, sk)
		pubs = append(pubs, sk.PublicKey())
	}
	s := Scheme{}
	var pks [][]crypto.PublicKey
	var msgs, sigs [][]byte
	for j := range 5 {
		msg := []byte(fmt.Sprintf("message %d", j))
		var parts [][]byte
		for _, k := range keys[:3] {
			parts = append(parts, k.Sign(msg))
		}
		agg, err := s.Aggregate(parts)
		if err != nil {
			t.Fatal(err)
		}
		pks, msgs, sigs = append(pks, pubs[:3]), append(msgs, msg), append(sigs, agg)
	}
	if !s.VerifyAggregates(pks, msgs, sigs) {
		t.Fatal("valid batch rejected")
	}
	// Swap two signatures: each is valid for the other's message, and the
	// plain sum of all signatures is unchanged.
	swapped := append([][]byte(nil), sigs...)
	swapped[0], swapped[1] = sigs[1], sigs[0]
	if s.VerifyAggregates(pks, msgs, swapped) {
		t.Fatal("batch with swapped signatures accepted")
	}
	wrongKeys := append([][]crypto.PublicKey(nil), pks...)
	wrongKeys[2] = pubs[1:4]
	if s.VerifyAggregates(wrongKeys, msgs, sigs) {
		t.Fatal("batch with a wrong signer set accepted")
	}
	if s.VerifyAggregates(nil, nil, nil) || s.VerifyAggregates(pks[:1], msgs, sigs) {
		t.Fatal("malformed batch accepted")
	}
}
