package light_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/light"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/types"
)

const chain = "lazchain-light-test"

// epochLen is the number of blocks per epoch of the test chain.
const epochLen = 100

// validator i of the test chain: its key and the member record it has in
// every set it belongs to, from fixed seeds.
func blsKey(t testing.TB, i int) *bls.SecretKey {
	t.Helper()
	seed := sha256.Sum256(fmt.Appendf(nil, "light-test-bls-%d", i))
	k, err := bls.GenerateKey(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func member(t testing.TB, i int, power uint64) staking.Member {
	return staking.Member{
		Operator: sha256.Sum256(fmt.Appendf(nil, "light-test-operator-%d", i)),
		NodeID:   sha256.Sum256(fmt.Appendf(nil, "light-test-node-%d", i)),
		BLSKey:   blsKey(t, i).PublicKey().Bytes(),
		Name:     fmt.Sprintf("val-%d", i), NetAddr: fmt.Sprintf("10.0.0.%d:26656", i), Power: power,
	}
}

// lastBlock stands for the id of the block that ended epoch n-1.
func lastBlock(n uint64) types.Hash {
	return types.HashOf(fmt.Appendf(nil, "light-test-block-%d", n*epochLen))
}

// testChain is four epochs of sets of four with unequal stakes, one
// validator replaced at each change, and the certificate of each change
// signed by a quorum (not all) of the ending set.
type testChain struct {
	epochs []*state.Epoch
	keys   map[string]*bls.SecretKey // by public key
	steps  []light.Step              // steps[i] proves epochs[i+1]
}

// setPlan lists each epoch's members as (validator, power), in index order.
var setPlan = [][][2]int{
	{{0, 40}, {1, 30}, {2, 20}, {3, 10}}, // total 100, quorum 67
	{{0, 40}, {1, 30}, {2, 20}, {4, 15}}, // 3 leaves, 4 joins
	{{5, 35}, {1, 30}, {2, 25}, {4, 15}}, // 0 leaves, 5 joins; 2's power changes
	{{5, 35}, {6, 33}, {2, 25}, {4, 15}}, // 1 leaves, 6 joins
}

// signersPlan is who of the ending set signs each change: always a quorum,
// never everyone, not always the same indices.
var signersPlan = [][]int{{0, 1}, {0, 2, 3}, {0, 1, 3}}

func newTestChain(t testing.TB) *testChain {
	t.Helper()
	c := &testChain{keys: map[string]*bls.SecretKey{}}
	for n, plan := range setPlan {
		e := &state.Epoch{Number: uint64(n), EndHeight: uint64(n+1) * epochLen}
		if n > 0 {
			e.LastHeight, e.LastBlock = uint64(n)*epochLen, lastBlock(uint64(n))
		}
		for _, m := range plan {
			e.Set = append(e.Set, member(t, m[0], uint64(m[1])))
			k := blsKey(t, m[0])
			c.keys[string(k.PublicKey().Bytes())] = k
		}
		c.epochs = append(c.epochs, e)
	}
	for n := 1; n < len(c.epochs); n++ {
		cert := c.sign(t, c.epochs[n-1], c.epochs[n].Change(), chain, signersPlan[n-1]...)
		c.steps = append(c.steps, light.Step{Epoch: c.epochs[n], Cert: cert})
	}
	return c
}

// sign is the certificate of the given members of signing over change for
// chainID, made the way the state machine aggregates it.
func (c *testChain) sign(t testing.TB, signing *state.Epoch, change types.EpochChange, chainID string, idx ...int) *types.EpochCert {
	t.Helper()
	msg := change.SigningBytes(chainID)
	b := types.NewBitmap(len(signing.Set))
	var sigs [][]byte
	for _, i := range idx {
		b.Set(i)
		sigs = append(sigs, c.keys[string(signing.Set[i].BLSKey)].Sign(msg))
	}
	sig, err := bls.Scheme{}.Aggregate(sigs)
	if err != nil {
		t.Fatal(err)
	}
	return &types.EpochCert{Change: change, Signers: b, Sig: sig}
}

// cloneEpoch deep-copies an epoch so a case can alter what a node serves
// without touching the honest chain.
func cloneEpoch(e *state.Epoch) *state.Epoch {
	c := *e
	c.Set = make([]staking.Member, len(e.Set))
	for i, m := range e.Set {
		m.BLSKey = slices.Clone(m.BLSKey)
		c.Set[i] = m
	}
	return &c
}

func cloneCert(x *types.EpochCert) *types.EpochCert {
	c := *x
	c.Signers, c.Sig = slices.Clone(x.Signers), slices.Clone(x.Sig)
	return &c
}

func TestFollowHonestChain(t *testing.T) {
	c := newTestChain(t)
	got, err := light.Follow(chain, c.epochs[0], c.steps)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c.epochs[3]) {
		t.Fatalf("followed to %+v, want epoch 3 %+v", got, c.epochs[3])
	}
	// Step by step gives the same, and an empty list stays at genesis.
	cur := c.epochs[0]
	for i, s := range c.steps {
		if cur, err = light.Next(chain, cur, s); err != nil || cur.Number != uint64(i+1) {
			t.Fatalf("Next to epoch %d: %+v, %v", i+1, cur, err)
		}
	}
	if got, err := light.Follow(chain, c.epochs[0], nil); err != nil || got != c.epochs[0] {
		t.Fatalf("Follow with no steps: %+v, %v", got, err)
	}
	// A certificate signed by everyone of the ending set is as good.
	all := slices.Clone(c.steps)
	all[0].Cert = c.sign(t, c.epochs[0], c.epochs[1].Change(), chain, 0, 1, 2, 3)
	if _, err := light.Follow(chain, c.epochs[0], all); err != nil {
		t.Fatalf("certificate of the whole set: %v", err)
	}
	// Certificates read back from their encoding prove the same.
	for i, s := range c.steps {
		dec, err := types.DecodeEpochCert(types.EncodeEpochCert(s.Cert))
		if err != nil {
			t.Fatal(err)
		}
		all[i].Cert = dec
	}
	if _, err := light.Follow(chain, c.epochs[0], all); err != nil {
		t.Fatalf("decoded certificates: %v", err)
	}
}

// Every way a node can serve an epoch that its certificate does not prove
// stops the client at the last proven epoch with ErrUnproven.
func TestFollowRejects(t *testing.T) {
	c := newTestChain(t)
	// servedAt returns the honest steps with step i's epoch altered.
	servedAt := func(i int, mut func(e *state.Epoch)) []light.Step {
		steps := slices.Clone(c.steps)
		e := cloneEpoch(steps[i].Epoch)
		mut(e)
		steps[i].Epoch = e
		return steps
	}
	// certAt returns the honest steps with step i's certificate replaced.
	certAt := func(i int, cert *types.EpochCert) []light.Step {
		steps := slices.Clone(c.steps)
		steps[i].Cert = cert
		return steps
	}
	certMut := func(i int, mut func(x *types.EpochCert)) []light.Step {
		x := cloneCert(c.steps[i].Cert)
		mut(x)
		return certAt(i, x)
	}
	e0, e1, e2 := c.epochs[0], c.epochs[1], c.epochs[2]
	other := types.HashOf([]byte("light-test-other"))

	cases := []struct {
		name   string
		steps  []light.Step
		proven uint64 // the last epoch Follow may return
	}{
		{"missing certificate", certAt(1, nil), 1},
		{"end height moved later", servedAt(1, func(e *state.Epoch) { e.EndHeight += 3 }), 1},
		{"end height moved earlier", servedAt(0, func(e *state.Epoch) { e.EndHeight-- }), 0},
		{"missing epoch", func() []light.Step { s := slices.Clone(c.steps); s[1].Epoch = nil; return s }(), 1},
		{"skipped epoch", []light.Step{c.steps[0], c.steps[2]}, 1},
		{"first epoch skipped", []light.Step{c.steps[1], c.steps[2]}, 0},
		{"repeated epoch", []light.Step{c.steps[0], c.steps[0]}, 1},
		{"epochs out of order", []light.Step{c.steps[1], c.steps[0]}, 0},
		{"certificate of the next change", certAt(1, c.steps[2].Cert), 1},
		{"certificate of the previous change", certAt(1, c.steps[0].Cert), 1},
		{"signed by the new set instead of the old", certAt(1, c.sign(t, e2, e2.Change(), chain, 0, 1, 2, 3)), 1},
		{"signed by the set before the old one", certAt(1, c.sign(t, e0, e2.Change(), chain, 0, 1, 2, 3)), 1},
		{"signed below quorum", certAt(0, c.sign(t, e0, e1.Change(), chain, 1, 2, 3)), 0}, // 30+20+10 = 60 of 100
		{"forged bitmap claims a quorum", certMut(0, func(x *types.EpochCert) {
			*x = *c.sign(t, e0, e1.Change(), chain, 1, 3) // 40 of 100 signed
			x.Signers = types.Bitmap{0x0b}                // claims 0,1,3: 80
		}), 0},
		{"bitmap drops a signer", certMut(0, func(x *types.EpochCert) { x.Signers = types.Bitmap{0x01} }), 0},
		{"signed for another chain", certAt(2, c.sign(t, e2, c.epochs[3].Change(), "another-chain", 0, 1, 2, 3)), 2},
		{"signature bit flipped", certMut(2, func(x *types.EpochCert) { x.Sig[20] ^= 0x04 }), 2},
		{"a power changed", servedAt(1, func(e *state.Epoch) { e.Set[3].Power++ }), 1},
		{"powers swapped", servedAt(1, func(e *state.Epoch) { e.Set[0].Power, e.Set[1].Power = e.Set[1].Power, e.Set[0].Power }), 1},
		{"a name changed", servedAt(1, func(e *state.Epoch) { e.Set[2].Name += "x" }), 1},
		{"a net address changed", servedAt(0, func(e *state.Epoch) { e.Set[0].NetAddr = "192.0.2.1:26656" }), 0},
		{"a node id changed", servedAt(0, func(e *state.Epoch) { e.Set[1].NodeID[0] ^= 1 }), 0},
		{"an operator changed", servedAt(0, func(e *state.Epoch) { e.Set[1].Operator[31] ^= 1 }), 0},
		{"a BLS key replaced by another valid key", servedAt(1, func(e *state.Epoch) {
			e.Set[0].BLSKey = blsKey(t, 9).PublicKey().Bytes()
		}), 1},
		{"members reordered", servedAt(1, func(e *state.Epoch) { e.Set[0], e.Set[3] = e.Set[3], e.Set[0] }), 1},
		{"a member dropped", servedAt(2, func(e *state.Epoch) { e.Set = e.Set[:3] }), 2},
		{"a member added", servedAt(2, func(e *state.Epoch) { e.Set = append(e.Set, member(t, 9, 50)) }), 2},
		{"stale last block", servedAt(1, func(e *state.Epoch) { e.LastBlock = e1.LastBlock }), 1},
		{"stale last height", servedAt(1, func(e *state.Epoch) { e.LastHeight = e1.LastHeight }), 1},
		{"zero last block", servedAt(0, func(e *state.Epoch) { e.LastBlock = types.Hash{} }), 0},
		{"served epoch number differs", servedAt(1, func(e *state.Epoch) { e.Number = 3 }), 1},
		{"set hash rewritten in the certificate too", func() []light.Step {
			steps := servedAt(1, func(e *state.Epoch) { e.Set[0].Power = 1_000 })
			x := cloneCert(steps[1].Cert)
			x.Change = steps[1].Epoch.Change()
			steps[1].Cert = x
			return steps
		}(), 1},
		{"last block rewritten in the certificate too", func() []light.Step {
			steps := servedAt(1, func(e *state.Epoch) { e.LastBlock = other })
			x := cloneCert(steps[1].Cert)
			x.Change.LastBlock = other
			steps[1].Cert = x
			return steps
		}(), 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := light.Follow(chain, e0, tc.steps)
			if !errors.Is(err, light.ErrUnproven) {
				t.Fatalf("err %v, want ErrUnproven", err)
			}
			if got == nil || !reflect.DeepEqual(got, c.epochs[tc.proven]) {
				t.Fatalf("stopped at %+v, want the proven epoch %d", got, tc.proven)
			}
		})
	}
	// None of the cases touched the honest chain.
	if _, err := light.Follow(chain, e0, c.steps); err != nil {
		t.Fatalf("honest chain after the cases: %v", err)
	}
}

// A client that starts from another genesis set (a wrong genesis file)
// proves nothing of this chain.
func TestFollowWrongGenesis(t *testing.T) {
	c := newTestChain(t)
	wrong := cloneEpoch(c.epochs[0])
	wrong.Set[0] = member(t, 9, 40)
	if _, err := light.Follow(chain, wrong, c.steps); !errors.Is(err, light.ErrUnproven) {
		t.Fatalf("followed from a wrong genesis set: %v", err)
	}
	if _, err := light.Follow("another-chain", c.epochs[0], c.steps); !errors.Is(err, light.ErrUnproven) {
		t.Fatalf("followed under another chain id: %v", err)
	}
}
