package node

import (
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/crypto"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/types"
)

// Only a pair the chain would accept is reported: both signatures by the
// named signer over two different blocks of one round, for votes and for
// proposals; anything forged or mixed up is dropped before it costs a
// transaction.
func TestCheckEquivocation(t *testing.T) {
	const chain = "evidence-test"
	keys := make([]*bls.SecretKey, 4)
	vals := make([]types.Validator, 4)
	for i := range keys {
		k, err := bls.GenerateKey([]byte(fmt.Sprintf("evidence-test-key-%d-padding-seed", i)))
		if err != nil {
			t.Fatal(err)
		}
		keys[i], vals[i] = k, types.Validator{PubKey: k.PublicKey(), Stake: 1}
	}
	set, err := types.NewValidatorSet(chain, 2, bls.Scheme{}, vals)
	if err != nil {
		t.Fatal(err)
	}
	a, b := types.HashOf([]byte("a")), types.HashOf([]byte("b"))
	pair := func(kind uint8, signer int, key crypto.Signer) consensus.Equivocation {
		eq := consensus.Equivocation{Kind: kind, Epoch: 2, Round: 9, Signer: uint32(signer), BlockA: a, BlockB: b}
		ma, mb := eq.SigningBytes(chain)
		eq.SigA, eq.SigB = key.Sign(ma), key.Sign(mb)
		return eq
	}
	cases := []struct {
		name string
		eq   consensus.Equivocation
		ok   bool
	}{
		{"two votes", pair(consensus.EquivocatedVote, 1, keys[1]), true},
		{"two proposals", pair(consensus.EquivocatedProposal, 1, keys[1]), true},
		{"signed by another validator", pair(consensus.EquivocatedVote, 1, keys[2]), false},
		{"votes presented as proposals", func() consensus.Equivocation {
			eq := pair(consensus.EquivocatedVote, 1, keys[1])
			eq.Kind = consensus.EquivocatedProposal
			return eq
		}(), false},
		{"same block twice", func() consensus.Equivocation {
			eq := pair(consensus.EquivocatedVote, 1, keys[1])
			eq.BlockB, eq.SigB = eq.BlockA, eq.SigA
			return eq
		}(), false},
		{"signer out of range", func() consensus.Equivocation {
			eq := pair(consensus.EquivocatedVote, 1, keys[1])
			eq.Signer = 9
			return eq
		}(), false},
		{"another round", func() consensus.Equivocation {
			eq := pair(consensus.EquivocatedVote, 1, keys[1])
			eq.Round++
			return eq
		}(), false},
	}
	for _, c := range cases {
		if got := checkEquivocation(chain, &c.eq, set); got != c.ok {
			t.Errorf("%s: accepted %v, want %v", c.name, got, c.ok)
		}
	}
}

// The node's own transactions (evidence, epoch signatures, attestations)
// take the first nonce the pool does not hold, and count past it only
// while earlier ones are still on their way into the pool.
func TestOwnNonces(t *testing.T) {
	var r reporter
	// Two on their way in at once get two nonces.
	a, b := r.reserve(0), r.reserve(0)
	if a != 0 || b != 1 {
		t.Fatalf("concurrent reservations got %d and %d", a, b)
	}
	r.release(a, true)
	r.release(b, true)
	// Both left the pool uncommitted (a block whose execution skipped
	// them): the next takes nonce 0 again instead of waiting behind a gap.
	if got := r.reserve(0); got != 0 {
		t.Fatalf("after the pool dropped the node's transactions: nonce %d, want 0", got)
	}
	r.release(0, true)
	// One refused frees its nonce for the next, even while another is
	// on its way in.
	c := r.reserve(1)
	d := r.reserve(1)
	r.release(d, false)
	if e := r.reserve(1); e != d {
		t.Fatalf("nonce %d after %d was refused", e, d)
	}
	_ = c
}
