package state_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
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
	tx := &types.Tx{ChainID: chainID, Nonce: nonce, Kind: 1, Body: []byte(body)}
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

func block(height uint64, txs ...*types.Tx) *types.Block {
	return types.NewBlock(1, height, height, nil, 0, txs)
}

// env is a machine over its own store, persisting what Apply returns the
// way the node does.
type env struct {
	t   *testing.T
	dir string
	st  *store.Store
	m   *state.Machine
}

func newEnv(t *testing.T, verified state.Verified) *env {
	e := &env{t: t, dir: t.TempDir()}
	e.open(verified)
	t.Cleanup(func() { e.st.Close() })
	return e
}

func (e *env) open(verified state.Verified) {
	st, err := store.Open(e.dir)
	if err != nil {
		e.t.Fatal(err)
	}
	e.st, e.m = st, state.New(chain, st, verified)
}

// reopen simulates a restart: a fresh machine over the reopened store.
func (e *env) reopen() {
	e.st.Close()
	e.open(nil)
}

func (e *env) apply(blocks ...*types.Block) []store.KV {
	e.t.Helper()
	kvs := e.m.Apply(blocks)
	if err := e.st.Apply(&consensus.Ready{}, kvs); err != nil {
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

func TestApplyOne(t *testing.T) {
	cases := []struct {
		name  string
		tx    *types.Tx
		code  state.Code
		nonce uint64 // sender 1's next nonce afterwards
		kvs   int
	}{
		{"ok", tx(1, 0, "a"), state.OK, 1, 2},
		{"bad signature", forged(tx(1, 0, "a")), state.BadSignature, 0, 1},
		{"signature too short", &types.Tx{ChainID: chain, Sender: pub(1), Sig: []byte{1}}, state.BadSignature, 0, 1},
		{"signed by another key", func() *types.Tx {
			x := tx(1, 0, "a")
			x.Sig = tx(2, 0, "a").Sig
			y, _ := types.DecodeTx(x.Encode())
			return y
		}(), state.BadSignature, 0, 1},
		{"wrong chain", signed("other-chain", 1, 0, "a"), state.WrongChain, 0, 1},
		{"bad signature beats wrong chain", forged(signed("other-chain", 1, 0, "a")), state.BadSignature, 0, 1},
		{"nonce gap", tx(1, 2, "a"), state.BadNonce, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, nil)
			pad := tx(3, 0, "pad") // puts the tx under test at index 1
			kvs := e.apply(block(7, pad, c.tx))
			if len(kvs) != 2+c.kvs {
				t.Fatalf("%d writes, want %d", len(kvs), 2+c.kvs)
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
			if n := e.m.Nonce(pub(1)); n != c.nonce {
				t.Fatalf("nonce %d, want %d", n, c.nonce)
			}
			e.reopen()
			if n := e.m.Nonce(pub(1)); n != c.nonce {
				t.Fatalf("nonce %d after restart, want %d", n, c.nonce)
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
		lastKVs int // writes of the last block
	}{
		{name: "nonces in order in one block", blocks: [][]*types.Tx{{t0, t1, t2}},
			want: []want{{t0, state.Receipt{1, 0, state.OK}}, {t2, state.Receipt{1, 2, state.OK}}}, nonce: 3, lastKVs: 6},
		{name: "out of order in one block", blocks: [][]*types.Tx{{t1, t0}},
			want: []want{{t1, noReceipt}, {t0, state.Receipt{1, 1, state.OK}}}, nonce: 1, lastKVs: 2},
		{name: "replay keeps first receipt", blocks: [][]*types.Tx{{t0}, {t0, t1}},
			want: []want{{t0, state.Receipt{1, 0, state.OK}}, {t1, state.Receipt{2, 1, state.OK}}}, nonce: 2, lastKVs: 2},
		{name: "replay after restart", blocks: [][]*types.Tx{{t0}, {t0}}, restart: true,
			want: []want{{t0, state.Receipt{1, 0, state.OK}}}, nonce: 1, lastKVs: 0},
		{name: "same tx twice in a block", blocks: [][]*types.Tx{{t0, t0, t1}},
			want: []want{{t0, state.Receipt{1, 0, state.OK}}, {t1, state.Receipt{1, 2, state.OK}}}, nonce: 2, lastKVs: 4},
		{name: "used nonce, other bytes", blocks: [][]*types.Tx{{t0}, {other0}},
			want: []want{{t0, state.Receipt{1, 0, state.OK}}, {other0, noReceipt}}, nonce: 1, lastKVs: 0},
		{name: "bad signature twice", blocks: [][]*types.Tx{{bad}, {bad, t0}},
			want: []want{{bad, state.Receipt{1, 0, state.BadSignature}}, {t0, state.Receipt{2, 1, state.OK}}}, nonce: 1, lastKVs: 2},
		{name: "wrong chain twice across restart", blocks: [][]*types.Tx{{wc}, {wc}}, restart: true,
			want: []want{{wc, state.Receipt{1, 0, state.WrongChain}}}, nonce: 0, lastKVs: 0},
		{name: "failures do not take the nonce", blocks: [][]*types.Tx{{bad, wc}, {t0, t1}},
			want: []want{{t1, state.Receipt{2, 1, state.OK}}, {t0, state.Receipt{2, 0, state.OK}}}, nonce: 2, lastKVs: 4},
		{name: "empty blocks", blocks: [][]*types.Tx{{}, {t0}, {}}, want: []want{{t0, state.Receipt{2, 0, state.OK}}},
			nonce: 1, lastKVs: 0},
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
			if len(kvs) != c.lastKVs {
				t.Fatalf("last block wrote %d keys, want %d", len(kvs), c.lastKVs)
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
	for _, c := range []state.Code{state.OK, state.BadSignature, state.WrongChain, state.BadNonce, 200} {
		s := c.String()
		if s == "" || seen[s] {
			t.Fatalf("code %d: %q", c, s)
		}
		seen[s] = true
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
