package state_test

import (
	"bytes"
	"reflect"
	"slices"
	"testing"

	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

// certStakes are the genesis validators' stakes, operated by users 0..3:
// total 9000, so 6000 is exactly 2/3 and the least quorum is 6001.
var certStakes = []uint64{3_000, 3_000, 2_000, 1_000}

// relayer is a user who validates nothing: anyone may carry a validator's
// epoch signature on-chain, only the signature in the body counts.
const relayer = 7

// certGenesis has four-block epochs and user 4 funded to create a
// validator in epoch 0, so epoch 1's set differs from epoch 0's. The
// downtime rule is off: the test's blocks carry no QCs, and no genesis
// validator may be jailed for that before it signs.
func certGenesis(t testing.TB) state.Genesis {
	p := staking.DefaultParams()
	p.EpochLength = 4
	p.DowntimeMinSignedBps = 0
	g := state.Genesis{Params: p, Accounts: []state.GenesisAccount{{Address: addr(4), Balance: 10_000}}}
	for op, s := range certStakes {
		g.Validators = append(g.Validators, genesisValidator(t, op, s))
	}
	return g
}

// certEnv is a chain that has just crossed into epoch 1, and whose epoch-0
// validators now sign the change.
type certEnv struct {
	*env
	height uint64
	nonces map[int]uint64
	old    *types.ValidatorSet // epoch 0's, which must sign
	next   *state.Epoch        // epoch 1
}

func newCertEnv(t *testing.T) *certEnv {
	t.Helper()
	c := &certEnv{env: newEnvGenesis(t, nil, certGenesis(t)), nonces: map[int]uint64{}}
	e0, err := c.m.EpochAt(0)
	if err != nil {
		t.Fatal(err)
	}
	if c.old, err = e0.ValidatorSet(chain); err != nil {
		t.Fatal(err)
	}
	c.apply(chainBlock(0, 1, c.tx(4, staking.KindCreateValidator, createValidator(t, 4, 4, 1_500, 0))))
	for h := uint64(2); h <= 4; h++ {
		c.apply(chainBlock(0, h))
	}
	c.height = 4
	c.next = c.m.CurrentEpoch()
	if c.next.Number != 1 || len(c.next.Set) != 5 || c.next.LastHeight != 4 {
		t.Fatalf("setup: epoch 1 is %+v", c.next)
	}
	return c
}

// tx is sender's next transaction of kind.
func (c *certEnv) tx(sender int, kind uint16, body []byte) *types.Tx {
	x := stx(sender, c.nonces[sender], kind, body)
	c.nonces[sender]++
	return x
}

// block commits the next block of epoch 1 with txs and returns its writes.
func (c *certEnv) block(txs ...*types.Tx) []store.KV {
	c.t.Helper()
	c.height++
	return c.apply(chainBlock(1, c.height, txs...))
}

// index is user op's index in epoch 0's set.
func (c *certEnv) index(op int) uint32 {
	c.t.Helper()
	i := c.old.IndexOf(blsKey(c.t, op).PublicKey().Bytes())
	if i < 0 {
		c.t.Fatalf("user %d is not in epoch 0's set", op)
	}
	return uint32(i)
}

// honest is op's correct signature on the change to epoch 1.
func (c *certEnv) honest(op int) state.EpochSig {
	return state.EpochSig{Epoch: 1, Signer: c.index(op), Sig: blsKey(c.t, op).Sign(c.next.Change().SigningBytes(chain))}
}

// sigTx is an epoch-signature transaction carried by sender.
func (c *certEnv) sigTx(sender int, s state.EpochSig) *types.Tx {
	return c.tx(sender, state.KindEpochSig, s.Encode())
}

// epochWrites counts the certificate and partial-signature records among
// an Apply's writes, failing on a key of no known kind.
func epochWrites(t *testing.T, kvs []store.KV) (certs, partials int) {
	t.Helper()
	for _, kv := range kvs {
		switch kv.Key[0] {
		case state.PrefixCert:
			certs++
		case state.PrefixPartial:
			partials++
		case state.PrefixAccount, state.PrefixReceipts, state.PrefixStaking, state.PrefixEpoch, state.PrefixResult, state.PrefixIDAO:
		default:
			t.Fatalf("unexpected write %x", kv.Key)
		}
	}
	return certs, partials
}

// certState is everything the machine knows about the change to epoch 1
// (and, to catch a stray write, to epoch 2).
type certState struct {
	Signed  [2][6]bool // [epoch-1][index]: EpochSigned
	Cert    []byte     // encoding of the epoch-1 certificate; nil if none
	Epoch2  bool       // an epoch-2 certificate exists
	Current *state.Epoch
}

func (c *certEnv) certState() certState {
	var s certState
	for e := range 2 {
		for i := range 6 {
			s.Signed[e][i] = c.m.EpochSigned(uint64(e+1), uint32(i))
		}
	}
	if cert, err := c.m.EpochCert(1); err == nil {
		s.Cert = types.EncodeEpochCert(cert)
	}
	_, err := c.m.EpochCert(2)
	s.Epoch2 = err == nil
	s.Current = c.m.CurrentEpoch()
	return s
}

// checkCert asserts the stored certificate is the one a light client
// needs: signed by exactly ops, valid for epoch 0's set, over epoch 1's
// change as recorded.
func (c *certEnv) checkCert(when string, ops ...int) {
	c.t.Helper()
	cert, err := c.m.EpochCert(1)
	if err != nil {
		c.t.Fatalf("%s: no certificate: %v", when, err)
	}
	if err := cert.Verify(c.old); err != nil {
		c.t.Fatalf("%s: certificate does not verify against epoch 0's set: %v", when, err)
	}
	e1, err := c.m.EpochAt(1)
	if err != nil {
		c.t.Fatal(err)
	}
	if cert.Change != e1.Change() || cert.Change.SetHash != e1.SetHash() || cert.Change.LastBlock != e1.LastBlock {
		c.t.Fatalf("%s: certificate change %+v, epoch 1 record's %+v", when, cert.Change, e1.Change())
	}
	var want []int
	for _, op := range ops {
		want = append(want, int(c.index(op)))
	}
	slices.Sort(want)
	if got := cert.Signers.Indices(); !slices.Equal(got, want) {
		c.t.Fatalf("%s: certificate signers %v, want %v", when, got, want)
	}
}

// Signatures of epoch 0's validators accumulate on-chain; the certificate
// appears with the first one that takes their stake past 2/3, holds
// exactly the signatures so far, and a later one is refused. Batching and
// restarts do not change the outcome.
func TestEpochCertAtQuorum(t *testing.T) {
	// Users 0, 1, 3, 2 sign in this order: 3000, 6000 (exactly 2/3, not
	// a quorum), 7000 (quorum), then 2 is too late.
	order := []int{0, 1, 3, 2}
	wantCode := []state.Code{state.OK, state.OK, state.OK, state.EpochCertDone}
	const quorumAt = 3 // the certificate exists once this many are in
	schedules := []struct {
		name    string
		batches [][]int // positions in order, per block
		restart []int   // reopen before these batches
	}{
		{"one per block", [][]int{{0}, {1}, {2}, {3}}, nil},
		{"restarts between partial signatures", [][]int{{0}, {1}, {2}, {3}}, []int{1, 2, 3}},
		{"all in one block", [][]int{{0, 1, 2, 3}}, nil},
		{"two blocks across a restart", [][]int{{0, 1}, {2, 3}}, []int{1}},
	}
	for _, s := range schedules {
		t.Run(s.name, func(t *testing.T) {
			c := newCertEnv(t)
			if _, err := c.m.EpochCert(1); err == nil {
				t.Fatal("certificate before any signature")
			}
			txs := make([]*types.Tx, len(order))
			heights := make([]uint64, len(order))
			applied := 0
			for b, batch := range s.batches {
				if slices.Contains(s.restart, b) {
					c.reopen()
				}
				var block []*types.Tx
				for _, pos := range batch {
					sender := order[pos]
					if pos == 0 {
						sender = relayer
					}
					txs[pos] = c.sigTx(sender, c.honest(order[pos]))
					heights[pos] = c.height + 1
					block = append(block, txs[pos])
				}
				before := applied
				applied += len(batch)
				certs, partials := epochWrites(t, c.block(block...))
				completes := before < quorumAt && applied >= quorumAt
				if (certs == 1) != completes || certs > 1 || (partials == 0) != (before >= quorumAt) {
					t.Fatalf("block %d wrote %d certificates and %d partial records", b, certs, partials)
				}
				for i := range order[:applied] {
					if r := c.receipt(txs[i]); r.Code != wantCode[i] || r.Height != heights[i] {
						t.Fatalf("signature of user %d: receipt %+v, want %v at %d", order[i], r, wantCode[i], heights[i])
					}
				}
				_, err := c.m.EpochCert(1)
				if (err == nil) != (applied >= quorumAt) {
					t.Fatalf("after %d signatures: certificate present %v", applied, err == nil)
				}
				for i, op := range order {
					want := i < applied || applied >= quorumAt
					if got := c.m.EpochSigned(1, c.index(op)); got != want {
						t.Fatalf("after %d signatures: EpochSigned(user %d) = %v", applied, op, got)
					}
				}
			}
			c.checkCert("after the blocks", order[:quorumAt]...)
			if r := c.receipt(txs[3]); r.Reason == "" {
				t.Fatalf("the late signature's receipt has no reason: %+v", r)
			}

			before := c.certState()
			c.reopen()
			if after := c.certState(); !reflect.DeepEqual(before, after) {
				t.Fatalf("a restart changed the epoch signatures:\n%+v\n%+v", before, after)
			}
			c.checkCert("after a restart", order[:quorumAt]...)
			// Still refused after the restart: the certificate was read
			// back, not rebuilt from nothing.
			late := c.sigTx(2, c.honest(2))
			c.block(late)
			if r := c.receipt(late); r.Code != state.EpochCertDone {
				t.Fatalf("a late signature after a restart: %+v", r)
			}
			c.checkCert("after a late signature", order[:quorumAt]...)
		})
	}
}

// Each bad epoch signature gets its failure code, uses its nonce, and
// changes nothing else: no partial or certificate record, no balance, no
// staking state.
func TestEpochSigFailures(t *testing.T) {
	other := types.HashOf([]byte("state-test-other"))
	// withChange is op's signature, claimed as signer index of claim, over
	// epoch 1's change altered by mut for chain chainID.
	withChange := func(c *certEnv, op, claim int, chainID string, mut func(ch *types.EpochChange)) state.EpochSig {
		ch := c.next.Change()
		mut(&ch)
		return state.EpochSig{Epoch: 1, Signer: c.index(claim), Sig: blsKey(c.t, op).Sign(ch.SigningBytes(chainID))}
	}
	same := func(*types.EpochChange) {}
	cases := []struct {
		name   string
		pre    []int // users who have signed honestly before
		sender int
		body   func(c *certEnv) []byte
		code   state.Code
	}{
		{"signature by another validator's key", nil, 0, func(c *certEnv) []byte {
			return withChange(c, 1, 0, chain, same).Encode()
		}, state.BadEpochSig},
		{"signature by the new validator for an old index", nil, 4, func(c *certEnv) []byte {
			return withChange(c, 4, 3, chain, same).Encode()
		}, state.BadEpochSig},
		{"signature over another chain", nil, 0, func(c *certEnv) []byte {
			return withChange(c, 0, 0, "another-chain", same).Encode()
		}, state.BadEpochSig},
		{"signature over another set hash", nil, 0, func(c *certEnv) []byte {
			return withChange(c, 0, 0, chain, func(ch *types.EpochChange) { ch.SetHash = other }).Encode()
		}, state.BadEpochSig},
		{"signature over a stale last block", nil, 0, func(c *certEnv) []byte {
			return withChange(c, 0, 0, chain, func(ch *types.EpochChange) { ch.LastBlock = types.GenesisBlock(chain, 0).ID() }).Encode()
		}, state.BadEpochSig},
		{"signature over another last height", nil, 0, func(c *certEnv) []byte {
			return withChange(c, 0, 0, chain, func(ch *types.EpochChange) { ch.LastHeight++ }).Encode()
		}, state.BadEpochSig},
		{"signature not a curve point", nil, 0, func(c *certEnv) []byte {
			return state.EpochSig{Epoch: 1, Signer: c.index(0), Sig: bytes.Repeat([]byte{0xab}, types.MaxSignatureSize)}.Encode()
		}, state.BadEpochSig},
		{"empty signature", nil, 0, func(c *certEnv) []byte {
			return state.EpochSig{Epoch: 1, Signer: c.index(0)}.Encode()
		}, state.BadEpochSig},
		// Index 4 exists in epoch 1's set (five members) but not in epoch
		// 0's, which is the one that signs; the signature itself is valid
		// under the key that holds index 4 of the new set.
		{"signer index past the old set", nil, 4, func(c *certEnv) []byte {
			s := withChange(c, 4, 0, chain, same)
			s.Signer = 4
			return s.Encode()
		}, state.BadEpochSig},
		{"signer index 2^32-1", nil, 0, func(c *certEnv) []byte {
			s := c.honest(0)
			s.Signer = 1<<32 - 1
			return s.Encode()
		}, state.BadEpochSig},
		{"future epoch", nil, 0, func(c *certEnv) []byte {
			s := withChange(c, 0, 0, chain, func(ch *types.EpochChange) { ch.Epoch = 2 })
			s.Epoch = 2
			return s.Encode()
		}, state.BadEpochSig},
		{"epoch 0", nil, 0, func(c *certEnv) []byte {
			s := c.honest(0)
			s.Epoch = 0
			return s.Encode()
		}, state.BadEpochSig},
		{"body does not decode", nil, 0, func(c *certEnv) []byte { return []byte{1, 2, 3} }, state.BadEpochSig},
		{"body with a trailing byte", nil, 0, func(c *certEnv) []byte { return append(c.honest(0).Encode(), 0) }, state.BadEpochSig},
		{"body of an unknown version", nil, 0, func(c *certEnv) []byte {
			b := c.honest(0).Encode()
			b[0]++
			return b
		}, state.BadEpochSig},
		{"duplicate signer", []int{0}, 0, func(c *certEnv) []byte { return c.honest(0).Encode() }, state.EpochCertDone},
		{"duplicate signer by another carrier", []int{0}, relayer, func(c *certEnv) []byte { return c.honest(0).Encode() }, state.EpochCertDone},
		{"duplicate signer with a bad signature", []int{0}, 0, func(c *certEnv) []byte {
			return withChange(c, 1, 0, chain, same).Encode()
		}, state.EpochCertDone},
		{"after completion", []int{0, 1, 3}, 2, func(c *certEnv) []byte { return c.honest(2).Encode() }, state.EpochCertDone},
		{"after completion, a signer again", []int{0, 1, 3}, 0, func(c *certEnv) []byte { return c.honest(0).Encode() }, state.EpochCertDone},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCertEnv(t)
			var pre []*types.Tx
			for _, op := range tc.pre {
				pre = append(pre, c.sigTx(op, c.honest(op)))
			}
			if len(pre) > 0 {
				c.block(pre...)
				for _, x := range pre {
					if r := c.receipt(x); r.Code != state.OK {
						t.Fatalf("setup signature: %+v", r)
					}
				}
			}
			before, snap := c.certState(), snapshot(c.env)
			bad := c.tx(tc.sender, state.KindEpochSig, tc.body(c))
			kvs := c.block(bad)

			r := c.receipt(bad)
			if r.Code != tc.code || r.Height != c.height || r.Reason == "" {
				t.Fatalf("receipt %+v, want code %v (%d) with a reason", r, tc.code, tc.code)
			}
			if certs, partials := epochWrites(t, kvs); certs+partials != 0 {
				t.Fatalf("a refused signature wrote %d certificates and %d partial records", certs, partials)
			}
			check := func(when string) {
				t.Helper()
				if after := c.certState(); !reflect.DeepEqual(before, after) {
					t.Fatalf("%s: epoch signatures changed:\n%+v\n%+v", when, before, after)
				}
				want := snap
				want.Accounts = slices.Clone(snap.Accounts)
				want.Accounts[tc.sender].Nonce++ // the nonce is used, nothing else
				if after := snapshot(c.env); !reflect.DeepEqual(want, after) {
					t.Fatalf("%s: state changed beyond the sender's nonce:\n%+v\n%+v", when, want, after)
				}
			}
			check("after the block")
			c.reopen()
			check("after a restart")
			if len(tc.pre) >= 3 {
				c.checkCert("after the refused signature", tc.pre...)
			}
		})
	}
}

// A signature for the next epoch sent while its change is not yet known
// (still in epoch 0) is refused and leaves nothing behind; sent again
// after the boundary, the same validator's signature counts.
func TestEpochSigBeforeTheChange(t *testing.T) {
	e := newEnvGenesis(t, nil, certGenesis(t))
	e0, err := e.m.EpochAt(0)
	if err != nil {
		t.Fatal(err)
	}
	old, err := e0.ValidatorSet(chain)
	if err != nil {
		t.Fatal(err)
	}
	idx := uint32(old.IndexOf(blsKey(t, 0).PublicKey().Bytes()))
	// What epoch 1 would be if nothing happened: the same set, after a
	// guessed block. It cannot be right, and it is not checked at all.
	guess := state.Epoch{Number: 1, LastHeight: 4, LastBlock: types.HashOf([]byte("guess")), Set: e0.Set}
	early := stx(0, 0, state.KindEpochSig, state.EpochSig{Epoch: 1, Signer: idx,
		Sig: blsKey(t, 0).Sign(guess.Change().SigningBytes(chain))}.Encode())
	kvs := e.apply(chainBlock(0, 1, early))
	if certs, partials := epochWrites(t, kvs); certs+partials != 0 {
		t.Fatalf("an early signature wrote %d certificates and %d partial records", certs, partials)
	}
	if r := e.receipt(early); r.Code != state.BadEpochSig {
		t.Fatalf("early signature: %+v", r)
	}
	if e.m.EpochSigned(1, idx) {
		t.Fatal("an early signature counts as signed")
	}
	for h := uint64(2); h <= 4; h++ {
		e.apply(chainBlock(0, h))
	}
	next := e.m.CurrentEpoch()
	if next.Number != 1 {
		t.Fatalf("epoch %d after the boundary", next.Number)
	}
	onTime := stx(0, 1, state.KindEpochSig, state.EpochSig{Epoch: 1, Signer: idx,
		Sig: blsKey(t, 0).Sign(next.Change().SigningBytes(chain))}.Encode())
	e.apply(chainBlock(1, 5, onTime))
	if r := e.receipt(onTime); r.Code != state.OK || !e.m.EpochSigned(1, idx) {
		t.Fatalf("signature after the boundary: %+v, signed %v", r, e.m.EpochSigned(1, idx))
	}
}
