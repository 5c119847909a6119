package state_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/types"
)

// blsKeys caches the test BLS keys by index: every test derives the same
// few again and again. No test here runs in parallel, so it needs no lock.
var blsKeys = map[int]*bls.SecretKey{}

// blsKey returns the i-th validator key, from a fixed seed.
func blsKey(t testing.TB, i int) *bls.SecretKey {
	if k, ok := blsKeys[i]; ok {
		return k
	}
	seed := sha256.Sum256(fmt.Appendf(nil, "state-test-bls-key-%d", i))
	k, err := bls.GenerateKey(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	blsKeys[i] = k
	return k
}

// nodeKey is user i's node key; nodeID(i) is its public key.
func nodeKey(i int) ed25519.PrivateKey {
	seed := sha256.Sum256(fmt.Appendf(nil, "state-test-node-%d", i))
	return ed25519.NewKeyFromSeed(seed[:])
}

func nodeID(i int) [32]byte { return [32]byte(nodeKey(i).Public().(ed25519.PublicKey)) }

// genesisValidator is operated by user op with BLS key op.
func genesisValidator(t testing.TB, op int, stake uint64) staking.GenesisValidator {
	k := blsKey(t, op)
	return staking.GenesisValidator{
		Operator: addr(op), NodeID: nodeID(op), BLSKey: k.PublicKey().Bytes(), PoP: k.ProvePossession(),
		Name: fmt.Sprintf("val-%d", op), NetAddr: fmt.Sprintf("10.0.0.%d:26656", op), Stake: stake,
	}
}

// createValidator is user op's create-validator body with BLS key k.
func createValidator(t testing.TB, op, k int, selfBond uint64, commission uint32) []byte {
	sk := blsKey(t, k)
	c := staking.CreateValidator{
		BLSKey: sk.PublicKey().Bytes(), PoP: sk.ProvePossession(), NodeID: nodeID(op),
		Name: fmt.Sprintf("val-%d", op), NetAddr: fmt.Sprintf("10.0.0.%d:26656", op),
		CommissionBps: commission, SelfBond: selfBond,
	}
	c.SignRegistration(chain, addr(op), sk, nodeKey(op))
	return c.Encode()
}

// stakeGenesis is a chain whose epochs are epochLength blocks, validated
// by user 0 alone, with users 1..4 funded.
func stakeGenesis(t testing.TB, epochLength uint64) state.Genesis {
	p := staking.DefaultParams()
	p.EpochLength = epochLength
	return state.Genesis{
		Params:     p,
		Validators: []staking.GenesisValidator{genesisValidator(t, 0, 10_000)},
		Accounts: []state.GenesisAccount{
			{Address: addr(1), Balance: 50_000}, {Address: addr(2), Balance: 20_000},
			{Address: addr(3), Balance: 1_000}, {Address: addr(4), Balance: 500},
		},
	}
}

func stx(sender int, nonce uint64, kind uint16, body []byte) *types.Tx {
	x := &types.Tx{ChainID: chain, Nonce: nonce, Kind: kind, Body: body}
	x.Sign(key(sender))
	return x
}

// chainBlock is a block as consensus commits it in epoch: only the height
// and proposer matter to the machine.
func chainBlock(epoch, height uint64, txs ...*types.Tx) *types.Block {
	return types.NewBlock(epoch, height, height, parentQC(epoch), 0, txs)
}

func (e *env) balance(i int) uint64 { return e.m.Account(addr(i)).Balance }

// The first Apply writes the genesis accounts and the epoch-0 record with
// the staking record, and nothing writes them again; before it, readers
// already see the genesis balances.
func TestGenesisWrittenOnce(t *testing.T) {
	e := newEnvGenesis(t, nil, stakeGenesis(t, 5))
	if b := e.balance(2); b != 20_000 {
		t.Fatalf("genesis balance %d before the first Apply", b)
	}
	w := e.classify(e.apply())
	if !slices.Equal(w.accounts, addrs(1, 2, 3, 4)) || !slices.Equal(w.epochs, []uint64{0}) || w.staking != 1 {
		t.Fatalf("first Apply wrote accounts %x epochs %v staking %d", w.accounts, w.epochs, w.staking)
	}
	if w.account[addr(2)] != (state.Account{Balance: 20_000}) {
		t.Fatalf("genesis account written as %+v", w.account[addr(2)])
	}
	if kvs := e.apply(); len(kvs) != 0 {
		t.Fatalf("an empty Apply after genesis wrote %d keys", len(kvs))
	}
	e.reopen()
	if kvs := e.apply(); len(kvs) != 0 {
		t.Fatalf("an empty Apply after a restart wrote %d keys (genesis again?)", len(kvs))
	}
	if b := e.balance(2); b != 20_000 {
		t.Fatalf("genesis balance %d after restart", b)
	}
}

// A staking transaction that executes takes its nonce and gets a receipt
// whether or not it succeeds; a failure changes no balance, and replaying
// it changes nothing at all.
func TestStakingTxReceipts(t *testing.T) {
	transfer := func(to int, amount uint64) []byte {
		return staking.Transfer{To: addr(to), Amount: amount}.Encode()
	}
	cases := []struct {
		name         string
		kind         uint16
		body         []byte
		code         state.Code
		bal1, bal2   uint64 // users 1 and 2 afterwards (50_000 and 20_000 before)
		wantAccounts []int  // accounts the block writes, in order
	}{
		{"transfer", staking.KindTransfer, transfer(2, 300), state.OK, 49_700, 20_300, []int{1, 2}},
		{"transfer of the whole balance", staking.KindTransfer, transfer(2, 50_000), state.OK, 0, 70_000, []int{1, 2}},
		{"insufficient funds", staking.KindTransfer, transfer(2, 50_001), state.Code(staking.InsufficientFunds), 50_000, 20_000, []int{1}},
		{"zero amount", staking.KindTransfer, transfer(2, 0), state.Code(staking.ZeroAmount), 50_000, 20_000, []int{1}},
		{"to oneself", staking.KindTransfer, transfer(1, 300), state.OK, 50_000, 20_000, []int{1}},
		{"body does not decode", staking.KindTransfer, []byte{staking.BodyVersion, 1, 2}, state.Code(staking.BadBody), 50_000, 20_000, []int{1}},
		{"delegate to no validator", staking.KindDelegate, staking.Delegate{Validator: addr(2), Amount: 10}.Encode(),
			state.Code(staking.UnknownValidator), 50_000, 20_000, []int{1}},
		{"unknown kind", 999, transfer(2, 300), state.UnknownKind, 50_000, 20_000, []int{1}},
		{"memo", state.KindMemo, transfer(2, 300), state.OK, 50_000, 20_000, []int{1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnvGenesis(t, nil, stakeGenesis(t, 100))
			e.apply(chainBlock(0, 1)) // genesis writes, so block 2's are the tx's alone
			x := stx(1, 0, c.kind, c.body)
			w := e.classify(e.apply(chainBlock(0, 2, x)))
			if !slices.Equal(w.receipts, hashes(x)) || !slices.Equal(w.accounts, addrs(c.wantAccounts...)) {
				t.Fatalf("wrote receipts %x accounts %x, want the tx's and accounts %v", w.receipts, w.accounts, c.wantAccounts)
			}
			check := func(when string) {
				t.Helper()
				r := e.receipt(x)
				if r.Height != 2 || r.Index != 0 || r.Code != c.code {
					t.Fatalf("%s: receipt %+v, want code %v (%d) at 2/0", when, r, c.code, c.code)
				}
				if (r.Reason == "") != (c.code == state.OK) {
					t.Fatalf("%s: code %v with reason %q", when, r.Code, r.Reason)
				}
				if n := e.m.Nonce(pub(1)); n != 1 {
					t.Fatalf("%s: nonce %d, want 1 (used even by a failure)", when, n)
				}
				if b1, b2 := e.balance(1), e.balance(2); b1 != c.bal1 || b2 != c.bal2 {
					t.Fatalf("%s: balances %d %d, want %d %d", when, b1, b2, c.bal1, c.bal2)
				}
			}
			check("after the block")

			w = e.classify(e.apply(chainBlock(0, 3, x)))
			if len(w.receipts)+len(w.accounts) != 0 {
				t.Fatalf("a replay wrote receipts %x accounts %x", w.receipts, w.accounts)
			}
			check("after a replay")
			e.reopen()
			check("after a restart")
		})
	}
}

// The ways of feeding the same five blocks to the machine: the result may
// not depend on how commits were batched or whether the node restarted.
var epochSchedules = []struct {
	name    string
	batches [][]int // heights per Apply call
	restart int     // reopen the store before this batch; -1 never
}{
	{"block by block", [][]int{{1}, {2}, {3}, {4}, {5}}, -1},
	{"one call", [][]int{{1, 2, 3, 4, 5}}, -1},
	{"restart before the epoch's last block", [][]int{{1}, {2}, {3}, {4}, {5}}, 4},
	{"two calls across a restart", [][]int{{1, 2}, {3, 4, 5}}, 1},
}

// A validator created and delegated to during epoch 0 joins the set of
// epoch 1, which starts after the block at epoch 0's end height.
func TestEpochChange(t *testing.T) {
	blocks := map[int]*types.Block{
		1: chainBlock(0, 1, stx(1, 0, staking.KindCreateValidator, createValidator(t, 1, 1, 5_000, 1_000))),
		2: chainBlock(0, 2, stx(2, 0, staking.KindDelegate, staking.Delegate{Validator: addr(1), Amount: 3_000}.Encode())),
		3: chainBlock(0, 3),
		4: chainBlock(0, 4, stx(2, 1, staking.KindTransfer, staking.Transfer{To: addr(3), Amount: 100}.Encode())),
		5: chainBlock(0, 5),
	}
	last := blocks[5].ID()
	for _, s := range epochSchedules {
		t.Run(s.name, func(t *testing.T) {
			e := newEnvGenesis(t, nil, stakeGenesis(t, 5))
			first := e.m.CurrentEpoch()
			if first.Number != 0 || first.EndHeight != 5 || first.Root(chain).ID() != types.GenesisBlock(chain, 0).ID() {
				t.Fatalf("genesis epoch %+v", first)
			}
			var epochs []uint64 // epoch records written, in order
			for i, hs := range s.batches {
				if i == s.restart {
					e.reopen()
				}
				var bs []*types.Block
				for _, h := range hs {
					bs = append(bs, blocks[h])
				}
				epochs = append(epochs, e.classify(e.apply(bs...)).epochs...)
				if hs[len(hs)-1] < 5 && e.m.CurrentEpoch().Number != 0 {
					t.Fatalf("epoch %d before the end height", e.m.CurrentEpoch().Number)
				}
			}
			if !slices.Equal(epochs, []uint64{0, 1}) {
				t.Fatalf("epoch records written %v, want 0 then 1, once each", epochs)
			}
			if first.Number != 0 || len(first.Set) != 1 {
				t.Fatalf("the epoch-0 value changed under its readers: %+v", first)
			}
			checkEpochOne(t, e, last)
			before := snapshot(e)
			e.reopen()
			if after := snapshot(e); !reflect.DeepEqual(before, after) {
				t.Fatalf("a restart changed the state:\n%+v\n%+v", before, after)
			}
		})
	}
}

func checkEpochOne(t *testing.T, e *env, last types.Hash) {
	t.Helper()
	cur := e.m.CurrentEpoch()
	if cur.Number != 1 || cur.LastHeight != 5 || cur.LastBlock != last || cur.EndHeight != 10 {
		t.Fatalf("epoch 1 is %+v", cur)
	}
	if got, want := cur.Root(chain).ID(), types.EpochRoot(chain, 1, last, 5).ID(); got != want {
		t.Fatalf("epoch 1 root %x, want %x", got, want)
	}
	// The new validator has 5000 own + 3000 delegated; stake orders the set.
	wantSet := []struct {
		op    int
		power uint64
	}{{0, 10_000}, {1, 8_000}}
	if len(cur.Set) != len(wantSet) {
		t.Fatalf("epoch 1 set %+v", cur.Set)
	}
	for i, w := range wantSet {
		m := cur.Set[i]
		if m.Operator != addr(w.op) || m.Power != w.power || m.NodeID != nodeID(w.op) ||
			!slices.Equal(m.BLSKey, blsKey(t, w.op).PublicKey().Bytes()) {
			t.Fatalf("epoch 1 member %d is %+v, want operator %d power %d", i, m, w.op, w.power)
		}
	}
	vs, err := cur.ValidatorSet(chain)
	if err != nil || vs.Len() != 2 || vs.TotalStake() != 18_000 || vs.IndexOf(blsKey(t, 1).PublicKey().Bytes()) != 1 {
		t.Fatalf("epoch 1 validator set %+v, %v", vs, err)
	}
	if e1, err := e.m.EpochAt(1); err != nil || !reflect.DeepEqual(e1, cur) {
		t.Fatalf("EpochAt(1) = %+v, %v", e1, err)
	}
	// Epoch 0's reward (1000) went to its only member's operator, who
	// holds all of its shares.
	for i, want := range []uint64{1_000, 45_000, 16_900, 1_100, 500} {
		if b := e.balance(i); b != want {
			t.Fatalf("user %d balance %d, want %d", i, b, want)
		}
	}
	v, ok := e.m.Staking().Validator(addr(1))
	if !ok || v.Tokens != 8_000 || v.CommissionBps != 1_000 {
		t.Fatalf("new validator %+v, %v", v, ok)
	}
	if d := e.m.Staking().DelegationsOf(addr(2)); len(d) != 1 || d[0].Validator != addr(1) || d[0].Tokens != 3_000 {
		t.Fatalf("delegations of user 2: %+v", d)
	}
}

// machineView is what a restart must not change.
type machineView struct {
	Current, Zero *state.Epoch
	Accounts      []state.Account
	Validators    []staking.Validator
	Active        []staking.Member
	Supply        staking.Supply
}

func snapshot(e *env) machineView {
	e.t.Helper()
	zero, err := e.m.EpochAt(0)
	if err != nil {
		e.t.Fatal(err)
	}
	v := machineView{Current: e.m.CurrentEpoch(), Zero: zero, Validators: e.m.Staking().Validators(),
		Active: e.m.Staking().Active(), Supply: e.m.Staking().Supply()}
	for i := range 8 {
		v.Accounts = append(v.Accounts, e.m.Account(addr(i)))
	}
	return v
}
