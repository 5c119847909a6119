package simsig

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto"
)

func testKeys(reg *Registry, n int) []*Key {
	keys := make([]*Key, n)
	for i := range keys {
		keys[i] = NewKey(reg, fmt.Appendf(nil, "node-%d", i))
	}
	return keys
}

func pubKeys(keys []*Key) []crypto.PublicKey {
	pks := make([]crypto.PublicKey, len(keys))
	for i, k := range keys {
		pks[i] = k.PublicKey()
	}
	return pks
}

func aggregate(t testing.TB, s Scheme, keys []*Key, msg []byte) []byte {
	t.Helper()
	sigs := make([][]byte, len(keys))
	for i, k := range keys {
		sigs[i] = k.Sign(msg)
	}
	agg, err := s.Aggregate(sigs)
	if err != nil {
		t.Fatalf("Aggregate: %v", err)
	}
	return agg
}

func flipBit(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i/8] ^= 1 << (i % 8)
	return c
}

type foreignKey struct{ b []byte }

func (f foreignKey) Bytes() []byte { return f.b }

func TestSignVerify(t *testing.T) {
	reg := NewRegistry()
	s := reg.Scheme()
	keys := testKeys(reg, 2)
	alice, bob := keys[0], keys[1]
	other := NewKey(NewRegistry(), []byte("outsider")) // registered in another simulation
	msg := []byte("block 42")
	sig := alice.Sign(msg)
	unregistered, _ := s.ParsePublicKey(bytes.Repeat([]byte{7}, PublicKeySize))
	cases := []struct {
		name   string
		scheme Scheme
		pk     crypto.PublicKey
		msg    []byte
		sig    []byte
		want   bool
	}{
		{"valid", s, alice.PublicKey(), msg, sig, true},
		{"empty message", s, alice.PublicKey(), nil, alice.Sign(nil), true},
		{"wrong key", s, bob.PublicKey(), msg, sig, false},
		{"wrong message", s, alice.PublicKey(), []byte("block 43"), sig, false},
		{"tampered mac", s, alice.PublicKey(), msg, flipBit(sig, 3), false},
		{"tampered count", s, alice.PublicKey(), msg, flipBit(sig, 8*SignatureSize-1), false},
		{"truncated", s, alice.PublicKey(), msg, sig[:SignatureSize-1], false},
		{"bare mac", s, alice.PublicKey(), msg, sig[:32], false},
		{"extended", s, alice.PublicKey(), msg, append(bytes.Clone(sig), 0), false},
		{"unregistered key", s, unregistered, msg, sig, false},
		{"key of another simulation", s, other.PublicKey(), msg, other.Sign(msg), false},
		{"zero scheme", Scheme{}, alice.PublicKey(), msg, sig, false},
		{"nil key", s, nil, msg, sig, false},
		{"nil *PublicKey", s, (*PublicKey)(nil), msg, sig, false},
		{"foreign key type", s, foreignKey{alice.PublicKey().Bytes()}, msg, sig, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.scheme.Verify(tc.pk, tc.msg, tc.sig); got != tc.want {
				t.Fatalf("Verify = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDeterministicAndMetadata(t *testing.T) {
	r1, r2 := NewRegistry(), NewRegistry()
	a, b := NewKey(r1, []byte("seed")), NewKey(r2, []byte("seed"))
	if !bytes.Equal(a.PublicKey().Bytes(), b.PublicKey().Bytes()) || !bytes.Equal(a.Sign([]byte("m")), b.Sign([]byte("m"))) {
		t.Fatal("same seed must give the same key and signatures")
	}
	s := r1.Scheme()
	if s.Name() != "simsig" || s.SignatureSize() != len(a.Sign(nil)) {
		t.Fatal("unexpected Name or SignatureSize")
	}
	pk, err := s.ParsePublicKey(a.PublicKey().Bytes())
	if err != nil || !s.Verify(pk, []byte("m"), a.Sign([]byte("m"))) {
		t.Fatalf("parsed key does not verify: %v", err)
	}
	for _, n := range []int{0, 31, 33, 48} {
		if _, err := s.ParsePublicKey(make([]byte, n)); !errors.Is(err, crypto.ErrBadKey) {
			t.Errorf("len %d: err = %v, want ErrBadKey", n, err)
		}
	}
}

func TestGarbageNeverVerifies(t *testing.T) {
	reg := NewRegistry()
	s := reg.Scheme()
	k := testKeys(reg, 1)[0]
	pk := k.PublicKey()
	rng := rand.New(rand.NewChaCha8([32]byte{'s', 'i', 'm'}))
	for n := 0; n <= 200; n++ {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		if s.Verify(pk, []byte("m"), b) || s.VerifyPossession(pk, b) ||
			s.VerifyAggregate([]crypto.PublicKey{pk}, []byte("m"), b) ||
			s.VerifyAggregateMulti([][]crypto.PublicKey{{pk}}, [][]byte{[]byte("m")}, b) {
			t.Fatalf("len %d: garbage accepted", n)
		}
		if _, err := s.Aggregate([][]byte{b}); err == nil && n != SignatureSize {
			t.Fatalf("len %d: aggregated a signature of the wrong length", n)
		}
	}
}

func TestAggregate(t *testing.T) {
	reg := NewRegistry()
	s := reg.Scheme()
	msg := []byte("qc for block 9")
	for _, n := range []int{1, 4, 64} {
		t.Run(fmt.Sprintf("signers=%d", n), func(t *testing.T) {
			keys := testKeys(reg, n+1)
			signers, outsider := keys[:n], keys[n]
			pks := pubKeys(signers)
			agg := aggregate(t, s, signers, msg)
			cases := []struct {
				name string
				pks  []crypto.PublicKey
				msg  []byte
				sig  []byte
				want bool
			}{
				{"valid", pks, msg, agg, true},
				{"wrong message", pks, []byte("qc for block 10"), agg, false},
				{"missing signer", pks[:n-1], msg, agg, false},
				{"extra key", append(append([]crypto.PublicKey{}, pks...), outsider.PublicKey()), msg, agg, false},
				{"outsider replaces signer", append([]crypto.PublicKey{outsider.PublicKey()}, pks[1:]...), msg, agg, false},
				{"tampered", pks, msg, flipBit(agg, 100), false},
			}
			for _, tc := range cases {
				if got := s.VerifyAggregate(tc.pks, tc.msg, tc.sig); got != tc.want {
					t.Errorf("%s: VerifyAggregate = %v, want %v", tc.name, got, tc.want)
				}
			}
		})
	}
}

func TestAggregateRejections(t *testing.T) {
	reg := NewRegistry()
	s := reg.Scheme()
	keys := testKeys(reg, 4)
	msg := []byte("vote")
	sigs := [][]byte{keys[0].Sign(msg), keys[1].Sign(msg), keys[2].Sign([]byte("other")), keys[3].Sign(msg)}
	agg, err := s.Aggregate(sigs)
	if err != nil || s.VerifyAggregate(pubKeys(keys), msg, agg) {
		t.Fatalf("aggregate with one signature on another message verified (err %v)", err)
	}
	for name, bad := range map[string][]byte{"short": sigs[0][:20], "zero count": make([]byte, SignatureSize)} {
		if _, err := s.Aggregate([][]byte{sigs[0], bad}); err == nil {
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

// TestDuplicatesDoNotCancel: a key listed twice needs its MAC twice. Under a
// plain XOR an all-zero aggregate would verify here without any signature.
func TestDuplicatesDoNotCancel(t *testing.T) {
	reg := NewRegistry()
	s := reg.Scheme()
	k := testKeys(reg, 1)[0]
	pks := []crypto.PublicKey{k.PublicKey(), k.PublicKey()}
	forged := encode([macSize]byte{}, 2)
	if s.VerifyAggregate(pks, []byte("m"), forged) {
		t.Fatal("duplicate keys cancelled out")
	}
	agg, err := s.Aggregate([][]byte{k.Sign([]byte("m")), k.Sign([]byte("m"))})
	if err != nil || !s.VerifyAggregate(pks, []byte("m"), agg) || s.VerifyAggregate(pks[:1], []byte("m"), agg) {
		t.Fatalf("a repeated signer must count once per entry (err %v)", err)
	}
}

func TestAggregateOfAggregates(t *testing.T) {
	reg := NewRegistry()
	s := reg.Scheme()
	keys := testKeys(reg, 6)
	msg := []byte("m")
	left, right := aggregate(t, s, keys[:2], msg), aggregate(t, s, keys[2:], msg)
	both, err := s.Aggregate([][]byte{left, right})
	if err != nil || !s.VerifyAggregate(pubKeys(keys), msg, both) {
		t.Fatalf("aggregate of aggregates did not verify (err %v)", err)
	}
}
