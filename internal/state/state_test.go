package state_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

const chain = "lazchain-state-test"

func key(i int) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(fmt.Sprintf("state-test-key-%d", i)))
	return ed25519.NewKeyFromSeed(seed[:])
}

func pub(i int) []byte { return key(i).Public().(ed25519.PublicKey) }

func signed(chainID string, sender int, nonce uint64, body string) *types.Tx {
	tx := &types.Tx{ChainID: chainID, Nonce: nonce, Kind: state.KindMemo, Body: []byte(body)}
	tx.Sign(key(sender))
	return tx
}

func tx(sender int, nonce uint64, body string) *types.Tx { return signed(chain, sender, nonce, body) }

// forged flips a signature bit and re-decodes, so the hash is the new one.
func forged(t *types.Tx) *types.Tx {
	enc := t.Encode()
	enc[len(enc)-5] ^= 0x10
	bad, err := types.DecodeTx(enc)
	if err != nil {
		panic(err)
	}
	return bad
}

// parentQC is the QC a test block carries: the genesis one, unsigned. The
// machine reads only the signer bitmap of a QC, and the store needs one
// to store a block above genesis.
func parentQC(epoch uint64) *types.QC {
	return types.GenesisQC(epoch, types.GenesisBlock(chain, epoch).ID())
}

func block(height uint64, txs ...*types.Tx) *types.Block {
	return types.NewBlock(1, height, height, parentQC(1), 0, txs)
}

// env is a machine over its own store, persisting what Apply returns the
// way the node does.
type env struct {
	t   *testing.T
	dir string
	g   state.Genesis
	st  *store.Store
	m   *state.Machine
	// blocks applied, by height: the receipt records name transactions by
	// their place in the block
	blocks map[uint64]*types.Block
}

func newEnv(t *testing.T, verified state.Verified) *env {
	return newEnvGenesis(t, verified, testGenesis(t))
}

// newEnvGenesis is newEnv for a chain with its own genesis (funded
// accounts, several validators, short epochs).
func newEnvGenesis(t *testing.T, verified state.Verified, g state.Genesis) *env {
	e := &env{t: t, dir: t.TempDir(), g: g, blocks: map[uint64]*types.Block{}}
	e.open(verified)
	t.Cleanup(func() { e.st.Close() })
	return e
}

func (e *env) open(verified state.Verified) {
	st, err := store.Open(e.dir)
	if err != nil {
		e.t.Fatal(err)
	}
	m, err := state.New(chain, st, verified, e.g)
	if err != nil {
		e.t.Fatal(err)
	}
	e.st, e.m = st, m
}

// testGenesis is one validator and no funded accounts.
func testGenesis(t testing.TB) state.Genesis {
	sk, err := bls.GenerateKey([]byte("state-test-validator-key-seed-0000"))
	if err != nil {
		t.Fatal(err)
	}
	v := staking.GenesisValidator{BLSKey: sk.PublicKey().Bytes(), PoP: sk.ProvePossession(), Name: "v0", Stake: 10_000}
	copy(v.Operator[:], pub(9))
	copy(v.NodeID[:], pub(9))
	return state.Genesis{Params: staking.DefaultParams(), Validators: []staking.GenesisValidator{v}}
}

// reopen simulates a crash and restart: a fresh machine over the
// reopened store, without the old machine's Close.
func (e *env) reopen() {
	e.st.Close()
	e.open(nil)
}

// restart is a clean restart: the machine closes before the store. A
// crash's restart re-reads the blocks, and TestApplyOne's blocks hold
// transactions no decoder would pass.
func (e *env) restart() {
	if err := e.m.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.reopen()
}

func (e *env) apply(blocks ...*types.Block) []store.KV {
	e.t.Helper()
	// The node stores blocks as they commit, before executing them.
	if len(blocks) > 0 {
		if err := e.st.Apply(&consensus.Ready{Blocks: blocks, Committed: blocks}); err != nil {
			e.t.Fatal(err)
		}
	}
	for _, b := range blocks {
		e.blocks[b.Height] = b
	}
	kvs := e.m.Apply(blocks)
	if err := e.st.WriteState(kvs, true); err != nil {
		e.t.Fatal(err)
	}
	e.m.Flushed()
	return kvs
}

// receipt returns tx's receipt; a transaction with none (it never
// executed because its nonce was not the next one) reads as code BadNonce
// at height 0, which no real receipt has.
func (e *env) receipt(tx *types.Tx) state.Receipt {
	e.t.Helper()
	r, err := e.m.Receipt(tx.Hash())
	if errors.Is(err, store.ErrNotFound) {
		return noReceipt
	}
	if err != nil {
		e.t.Fatalf("receipt of nonce %d: %v", tx.Nonce, err)
	}
	return r
}

var noReceipt = state.Receipt{Code: state.BadNonce}

func addr(i int) staking.Address {
	var a staking.Address
	copy(a[:], pub(i))
	return a
}

// writes is one Apply's output sorted by what each key is. Besides the
// transactions' receipts and accounts, every commit carries the staking
// record, and the first one and each epoch end an epoch record; tests of
// transactions look at the first two and only check the rest is known.
type writes struct {
	receipts []types.Hash // in write order
	accounts []staking.Address
	account  map[staking.Address]state.Account
	epochs   []uint64
	staking  int
	results  []types.StateRef
}

// classify decodes an Apply's writes. It fails on a key it does not know,
// a value that does not decode, or a key written twice: one Apply writes
// each receipt and each account once.
func (e *env) classify(kvs []store.KV) writes {
	t := e.t
	t.Helper()
	w := writes{account: map[staking.Address]state.Account{}}
	seen := map[string]bool{}
	for _, kv := range kvs {
		if seen[string(kv.Key)] {
			t.Fatalf("key %x written twice in one Apply", kv.Key)
		}
		seen[string(kv.Key)] = true
		switch k := kv.Key; {
		case len(k) == 9 && k[0] == state.PrefixReceipts:
			has, err := state.HasReceipt(kv.Value)
			b := e.blocks[binary.BigEndian.Uint64(k[1:])]
			if err != nil || b == nil || len(has) != len(b.Txs) {
				t.Fatalf("receipts of height %d: %v (block known: %v)", binary.BigEndian.Uint64(k[1:]), err, b != nil)
			}
			for i, ok := range has {
				if ok {
					w.receipts = append(w.receipts, b.Txs[i].Hash())
				}
			}
		case len(k) == 33 && k[0] == state.PrefixAccount:
			acc, ok := state.DecodeAccount(kv.Value)
			if !ok {
				t.Fatalf("account %x: malformed value %x", k[1:], kv.Value)
			}
			a := staking.Address(k[1:])
			w.accounts = append(w.accounts, a)
			w.account[a] = acc
		case len(k) == 9 && k[0] == state.PrefixEpoch:
			e, err := state.DecodeEpoch(kv.Value)
			if err != nil {
				t.Fatalf("epoch record %x: %v", k[1:], err)
			}
			w.epochs = append(w.epochs, e.Number)
		case len(k) == 1 && k[0] == state.PrefixStaking:
			w.staking++
		case len(k) == 1 && k[0] == state.PrefixIDAO:
		case len(k) == 9 && k[0] == state.PrefixResult:
			r, err := state.DecodeResult(kv.Value)
			if err != nil || r.Height != binary.BigEndian.Uint64(k[1:]) {
				t.Fatalf("execution result %x: %+v, %v", k[1:], r, err)
			}
			w.results = append(w.results, r)
		default:
			t.Fatalf("unexpected write %x", k)
		}
	}
	return w
}

func hashes(txs ...*types.Tx) []types.Hash {
	var out []types.Hash
	for _, x := range txs {
		out = append(out, x.Hash())
	}
	return out
}

func addrs(is ...int) []staking.Address {
	var out []staking.Address
	for _, i := range is {
		out = append(out, addr(i))
	}
	return out
}

func TestApplyOne(t *testing.T) {
	cases := []struct {
		name     string
		tx       *types.Tx
		code     state.Code
		executed bool // took sender 1's nonce, so its account is written
	}{
		{"ok", tx(1, 0, "a"), state.OK, true},
		{"bad signature", forged(tx(1, 0, "a")), state.BadSignature, false},
		{"signature too short", &types.Tx{ChainID: chain, Sender: pub(1), Sig: []byte{1}}, state.BadSignature, false},
		{"signed by another key", func() *types.Tx {
			x := tx(1, 0, "a")
			x.Sig = tx(2, 0, "a").Sig
			y, _ := types.DecodeTx(x.Encode())
			return y
		}(), state.BadSignature, false},
		{"wrong chain", signed("other-chain", 1, 0, "a"), state.WrongChain, false},
		{"bad signature beats wrong chain", forged(signed("other-chain", 1, 0, "a")), state.BadSignature, false},
		{"nonce gap", tx(1, 2, "a"), state.BadNonce, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nil)
			pad := tx(3, 0, "pad") // puts the tx under test at index 1
			w := e.classify(e.apply(block(7, pad, c.tx)))

			// Every tx but one past a nonce gap gets a receipt; only one
			// that executed changes its sender's account.
			wantReceipts, wantAccounts := hashes(pad, c.tx), addrs(3)
			if c.code == state.BadNonce {
				wantReceipts = hashes(pad)
			}
			if c.executed {
				wantAccounts = addrs(3, 1)
			}
			if !slices.Equal(w.receipts, wantReceipts) {
				t.Fatalf("receipts written %x, want %x", w.receipts, wantReceipts)
			}
			if !slices.Equal(w.accounts, wantAccounts) {
				t.Fatalf("accounts written %x, want %x", w.accounts, wantAccounts)
			}
			if c.executed && w.account[addr(1)] != (state.Account{Nonce: 1}) {
				t.Fatalf("sender's account written as %+v", w.account[addr(1)])
			}
			if c.code == state.BadNonce { // not executed: no receipt at all
				if r := e.receipt(c.tx); r != noReceipt {
					t.Fatalf("receipt %+v for a tx that never executed", r)
				}
				return
			}
			if r := e.receipt(c.tx); r != (state.Receipt{Height: 7, Index: 1, Code: c.code}) {
				t.Fatalf("receipt %+v, want code %v at 7/1", r, c.code)
			}
			nonce := uint64(0)
			if c.executed {
				nonce = 1
			}
			if n := e.m.Nonce(pub(1)); n != nonce {
				t.Fatalf("nonce %d, want %d", n, nonce)
			}
			e.restart()
			if n := e.m.Nonce(pub(1)); n != nonce {
				t.Fatalf("nonce %d after restart, want %d", n, nonce)
			}
			// The index confirms stored hits against the stored block, and
			// a block holding a transaction that does not decode cannot be
			// read back (nor reach a node from the network): only the
			// in-memory Apply above sees one.
			if _, err := types.DecodeTx(c.tx.Encode()); err != nil {
				return
			}
			if r := e.receipt(c.tx); r.Code != c.code || r.Code.String() == "" {
				t.Fatalf("receipt after restart %+v", r)
			}
		})
	}
}

// Sequences of blocks: each row lists blocks and the expected receipt
// (height, index, code) of chosen transactions and the final nonce.
func TestApplySequence(t *testing.T) {
	t0, t1, t2 := tx(1, 0, "a"), tx(1, 1, "b"), tx(1, 2, "c")
	bad := forged(tx(1, 0, "z"))
	other0 := tx(1, 0, "other")
	wc := signed("other-chain", 1, 0, "w")
	type want struct {
		tx *types.Tx
		r  state.Receipt
	}
	cases := []struct {
		name    string
		blocks  [][]*types.Tx // block i is at height i+1
		restart bool          // restart before the last block
		want    []want
		nonce   uint64
		// What the last block writes: the receipts, in order, and whether
		// sender 1's account (its nonce) changes.
		lastReceipts []*types.Tx
		lastAccount  bool
	}{
		{name: "nonces in order in one block", blocks: [][]*types.Tx{{t0, t1, t2}},
			want:  []want{{t0, state.Receipt{Height: 1, Index: 0, Code: state.OK}}, {t2, state.Receipt{Height: 1, Index: 2, Code: state.OK}}},
			nonce: 3, lastReceipts: []*types.Tx{t0, t1, t2}, lastAccount: true},
		{name: "out of order in one block", blocks: [][]*types.Tx{{t1, t0}},
			want:  []want{{t1, noReceipt}, {t0, state.Receipt{Height: 1, Index: 1, Code: state.OK}}},
			nonce: 1, lastReceipts: []*types.Tx{t0}, lastAccount: true},
		{name: "replay keeps first receipt", blocks: [][]*types.Tx{{t0}, {t0, t1}},
			want:  []want{{t0, state.Receipt{Height: 1, Index: 0, Code: state.OK}}, {t1, state.Receipt{Height: 2, Index: 1, Code: state.OK}}},
			nonce: 2, lastReceipts: []*types.Tx{t1}, lastAccount: true},
		{name: "replay after restart", blocks: [][]*types.Tx{{t0}, {t0}}, restart: true,
			want:  []want{{t0, state.Receipt{Height: 1, Index: 0, Code: state.OK}}},
			nonce: 1},
		{name: "same tx twice in a block", blocks: [][]*types.Tx{{t0, t0, t1}},
			want:  []want{{t0, state.Receipt{Height: 1, Index: 0, Code: state.OK}}, {t1, state.Receipt{Height: 1, Index: 2, Code: state.OK}}},
			nonce: 2, lastReceipts: []*types.Tx{t0, t1}, lastAccount: true},
		{name: "used nonce, other bytes", blocks: [][]*types.Tx{{t0}, {other0}},
			want:  []want{{t0, state.Receipt{Height: 1, Index: 0, Code: state.OK}}, {other0, noReceipt}},
			nonce: 1},
		{name: "bad signature twice", blocks: [][]*types.Tx{{bad}, {bad, t0}},
			want:  []want{{bad, state.Receipt{Height: 1, Index: 0, Code: state.BadSignature}}, {t0, state.Receipt{Height: 2, Index: 1, Code: state.OK}}},
			nonce: 1, lastReceipts: []*types.Tx{t0}, lastAccount: true},
		{name: "wrong chain twice across restart", blocks: [][]*types.Tx{{wc}, {wc}}, restart: true,
			want:  []want{{wc, state.Receipt{Height: 1, Index: 0, Code: state.WrongChain}}},
			nonce: 0},
		{name: "failures do not take the nonce", blocks: [][]*types.Tx{{bad, wc}, {t0, t1}},
			want:  []want{{t1, state.Receipt{Height: 2, Index: 1, Code: state.OK}}, {t0, state.Receipt{Height: 2, Index: 0, Code: state.OK}}},
			nonce: 2, lastReceipts: []*types.Tx{t0, t1}, lastAccount: true},
		{name: "empty blocks", blocks: [][]*types.Tx{{}, {t0}, {}},
			want:  []want{{t0, state.Receipt{Height: 2, Index: 0, Code: state.OK}}},
			nonce: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nil)
			var kvs []store.KV
			for i, txs := range c.blocks {
				if c.restart && i == len(c.blocks)-1 {
					e.reopen()
				}
				kvs = e.apply(block(uint64(i+1), txs...))
			}
			w := e.classify(kvs)
			if want := hashes(c.lastReceipts...); !slices.Equal(w.receipts, want) {
				t.Fatalf("last block wrote receipts %x, want %x", w.receipts, want)
			}
			wantAccounts := addrs()
			if c.lastAccount {
				wantAccounts = addrs(1)
			}
			if !slices.Equal(w.accounts, wantAccounts) {
				t.Fatalf("last block wrote accounts %x, want %x", w.accounts, wantAccounts)
			}
			if c.lastAccount && w.account[addr(1)].Nonce != c.nonce {
				t.Fatalf("last block wrote nonce %d, want %d", w.account[addr(1)].Nonce, c.nonce)
			}
			for _, w := range c.want {
				if r := e.receipt(w.tx); r != w.r {
					t.Fatalf("receipt of %q nonce %d: %+v, want %+v", w.tx.Body, w.tx.Nonce, r, w.r)
				}
			}
			if n := e.m.Nonce(pub(1)); n != c.nonce {
				t.Fatalf("nonce %d, want %d", n, c.nonce)
			}
		})
	}
}

func TestReceiptUnknown(t *testing.T) {
	e := newEnv(t, nil)
	if _, err := e.m.Receipt(tx(1, 0, "never").Hash()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown receipt: %v", err)
	}
	if n := e.m.Nonce(pub(9)); n != 0 {
		t.Fatalf("unknown sender nonce %d", n)
	}
}

func TestCodeString(t *testing.T) {
	seen := map[string]bool{}
	codes := []state.Code{state.OK, state.BadSignature, state.WrongChain, state.BadNonce, state.UnknownKind, state.Failed,
		state.Code(staking.BadBody), state.Code(staking.InsufficientFunds), 200}
	for _, c := range codes {
		s := c.String()
		if s == "" || seen[s] {
			t.Fatalf("code %d: %q", c, s)
		}
		seen[s] = true
	}
	// A staking failure reads the same in a receipt as in staking.
	if got, want := state.Code(staking.InsufficientFunds).String(), staking.InsufficientFunds.String(); got != want {
		t.Fatalf("staking code reads %q in a receipt, %q in staking", got, want)
	}
}

// sameKVs fails unless a and b are the same writes in the same order.
func sameKVs(t *testing.T, what string, a, b []store.KV) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d writes vs %d", what, len(a), len(b))
	}
	for i := range a {
		if !bytes.Equal(a[i].Key, b[i].Key) || !bytes.Equal(a[i].Value, b[i].Value) {
			t.Fatalf("%s: write %d differs: %x=%x vs %x=%x", what, i, a[i].Key, a[i].Value, b[i].Key, b[i].Value)
		}
	}
}

// finalState folds writes in order into what the store holds afterwards.
func finalState(kvs []store.KV) map[string][]byte {
	out := map[string][]byte{}
	for _, kv := range kvs {
		out[string(kv.Key)] = kv.Value
	}
	return out
}

// sameState fails unless two write sequences leave the store the same:
// machines that apply blocks in different batches write the staking
// record and each account once per batch, so only the end state compares.
func sameState(t *testing.T, what string, a, b []store.KV) {
	t.Helper()
	fa, fb := finalState(a), finalState(b)
	if len(fa) != len(fb) {
		t.Fatalf("%s: %d keys vs %d", what, len(fa), len(fb))
	}
	for _, k := range slices.Sorted(maps.Keys(fa)) {
		vb, ok := fb[k]
		if !ok || !bytes.Equal(fa[k], vb) {
			t.Fatalf("%s: key %x is %x vs %x (present %v)", what, k, fa[k], vb, ok)
		}
	}
}
