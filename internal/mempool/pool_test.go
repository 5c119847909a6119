package mempool_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/lazchain/lazchain/internal/mempool"
	"github.com/lazchain/lazchain/internal/types"
)

const chain = "lazchain-mempool-test"

// key returns the i-th deterministic sender key.
func key(i int) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte(fmt.Sprintf("mempool-test-key-%d", i)))
	return ed25519.NewKeyFromSeed(seed[:])
}

func addr(i int) [32]byte {
	var a [32]byte
	copy(a[:], key(i).Public().(ed25519.PublicKey))
	return a
}

// tx returns a signed transaction of sender i; body varies the hash.
func tx(i int, nonce uint64, body string) *types.Tx {
	t := &types.Tx{ChainID: chain, Nonce: nonce, Kind: 1, Body: []byte(body)}
	t.Sign(key(i))
	return t
}

// entrySize is the pool's accounting size of a tx with a body of n bytes.
func entrySize(n int) int { return ed25519.SignatureSize + n + 64 }

// nonces is a fake committed state for Config.Nonce.
type nonces struct {
	mu sync.Mutex
	m  map[[32]byte]uint64
}

func (n *nonces) get(sender []byte) uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	var s [32]byte
	copy(s[:], sender)
	return n.m[s]
}

func (n *nonces) set(i int, v uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.m[addr(i)] = v
}

func newPool(maxTxs, maxBytes int) (*mempool.Pool, *nonces) {
	st := &nonces{m: map[[32]byte]uint64{}}
	return mempool.New(mempool.Config{ChainID: chain, MaxTxs: maxTxs, MaxBytes: maxBytes, Nonce: st.get}), st
}

func badSig(t *types.Tx) *types.Tx {
	enc := t.Encode()
	enc[len(enc)-1] ^= 0x80
	bad, err := types.DecodeTx(enc)
	if err != nil {
		panic(err)
	}
	return bad
}

func TestAdd(t *testing.T) {
	wrongKey := tx(1, 0, "x")
	wrongKey.Sig = tx(2, 0, "x").Sig
	wrongKey, _ = types.DecodeTx(wrongKey.Encode()) // hash of the new bytes
	shortSig := &types.Tx{ChainID: chain, Sender: key(1).Public().(ed25519.PublicKey), Nonce: 0, Sig: []byte{1, 2, 3}}
	otherChain := &types.Tx{ChainID: "other", Nonce: 0}
	otherChain.Sign(key(1))
	huge := &types.Tx{ChainID: chain, Nonce: 0, Body: make([]byte, types.MaxTxBytes)}
	huge.Sign(key(1))

	cases := []struct {
		name     string
		maxTxs   int
		maxBytes int
		state    map[int]uint64 // committed next nonces
		before   []*types.Tx    // admitted first, each must succeed
		add      []*types.Tx
		want     []error // nil entries mean admitted
		size     int     // pool size afterwards
	}{
		{name: "valid", add: []*types.Tx{tx(1, 0, "a"), tx(2, 0, "a"), tx(1, 1, "a")}, want: []error{nil, nil, nil}, size: 3},
		{name: "nonce gap admitted", add: []*types.Tx{tx(1, 7, "a")}, want: []error{nil}, size: 1},
		{name: "bad signature", add: []*types.Tx{badSig(tx(1, 0, "a"))}, want: []error{mempool.ErrBadSig}},
		{name: "signature of another key", add: []*types.Tx{wrongKey}, want: []error{mempool.ErrBadSig}},
		{name: "short signature", add: []*types.Tx{shortSig}, want: []error{mempool.ErrBadSig}},
		{name: "wrong chain", add: []*types.Tx{otherChain}, want: []error{mempool.ErrChainID}},
		{name: "too large", add: []*types.Tx{huge}, want: []error{mempool.ErrTooLarge}},
		{name: "duplicate of pooled", before: []*types.Tx{tx(1, 0, "a")}, add: []*types.Tx{tx(1, 0, "a")},
			want: []error{mempool.ErrDuplicate}, size: 1},
		{name: "duplicate in one batch", add: []*types.Tx{tx(1, 0, "a"), tx(1, 0, "a")},
			want: []error{nil, mempool.ErrDuplicate}, size: 1},
		{name: "stale nonce from state", state: map[int]uint64{1: 5}, add: []*types.Tx{tx(1, 4, "a"), tx(1, 0, "a"), tx(1, 5, "a")},
			want: []error{mempool.ErrStaleNonce, mempool.ErrStaleNonce, nil}, size: 1},
		{name: "nonce taken", before: []*types.Tx{tx(1, 0, "a")}, add: []*types.Tx{tx(1, 0, "b")},
			want: []error{mempool.ErrNonceTaken}, size: 1},
		{name: "nonce taken in one batch", add: []*types.Tx{tx(1, 3, "a"), tx(1, 3, "b")},
			want: []error{nil, mempool.ErrNonceTaken}, size: 1},
		{name: "full by count", maxTxs: 2, add: []*types.Tx{tx(1, 0, "a"), tx(2, 0, "a"), tx(3, 0, "a")},
			want: []error{nil, nil, mempool.ErrFull}, size: 2},
		{name: "full by bytes", maxBytes: 2*entrySize(4) + entrySize(4) - 1,
			add:  []*types.Tx{tx(1, 0, "abcd"), tx(1, 1, "abcd"), tx(1, 2, "abcd"), tx(2, 0, "")},
			want: []error{nil, nil, mempool.ErrFull, nil}, size: 3},
		{name: "bad among good", add: []*types.Tx{tx(1, 0, "a"), badSig(tx(1, 1, "a")), otherChain, tx(1, 1, "a")},
			want: []error{nil, mempool.ErrBadSig, mempool.ErrChainID, nil}, size: 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, st := newPool(c.maxTxs, c.maxBytes)
			for i, v := range c.state {
				st.set(i, v)
			}
			for _, err := range p.Add(c.before) {
				if err != nil {
					t.Fatalf("setup: %v", err)
				}
			}
			errs := p.Add(c.add)
			if len(errs) != len(c.add) {
				t.Fatalf("%d errors for %d txs", len(errs), len(c.add))
			}
			for i, err := range errs {
				if !errors.Is(err, c.want[i]) || (c.want[i] == nil) != (err == nil) {
					t.Errorf("tx %d: got %v, want %v", i, err, c.want[i])
				}
				if err != nil && err.Error() == "" {
					t.Errorf("tx %d: empty error message", i)
				}
				if admitted := err == nil; admitted && !p.Has(c.add[i].Hash()) {
					t.Errorf("tx %d admitted but Has is false", i)
				}
			}
			n, bytes := p.Size()
			if n != c.size {
				t.Fatalf("size %d, want %d", n, c.size)
			}
			if (n == 0) != (bytes == 0) || (c.maxBytes > 0 && bytes > c.maxBytes) {
				t.Fatalf("%d txs use %d bytes (limit %d)", n, bytes, c.maxBytes)
			}
		})
	}
}

// A refused transaction leaves no trace: not held, not counted.
func TestAddRefusalChangesNothing(t *testing.T) {
	p, st := newPool(0, 0)
	st.set(1, 2)
	if errs := p.Add([]*types.Tx{tx(1, 2, "keep")}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	n0, b0 := p.Size()
	for _, bad := range []*types.Tx{badSig(tx(1, 3, "x")), tx(1, 1, "stale"), tx(1, 2, "taken"), tx(1, 2, "keep")} {
		if errs := p.Add([]*types.Tx{bad}); errs[0] == nil {
			t.Fatalf("nonce %d %q admitted", bad.Nonce, bad.Body)
		}
		if n, b := p.Size(); n != n0 || b != b0 {
			t.Fatalf("size %d/%d after refusal, was %d/%d", n, b, n0, b0)
		}
	}
	if got := p.Reap(10, 1<<20, nil); len(got) != 1 || string(got[0].Body) != "keep" {
		t.Fatalf("reap after refusals: %d txs", len(got))
	}
}

func TestSetNonce(t *testing.T) {
	p, _ := newPool(0, 0)
	p.Add([]*types.Tx{tx(1, 0, ""), tx(1, 1, ""), tx(1, 2, "")})
	p.SetNonce(key(1).Public().(ed25519.PublicKey), 2)
	if n, _ := p.Size(); n != 1 {
		t.Fatalf("size %d after SetNonce(2), want 1", n)
	}
	p.SetNonce(key(1).Public().(ed25519.PublicKey), 1) // never backwards
	if errs := p.Add([]*types.Tx{tx(1, 1, "again")}); !errors.Is(errs[0], mempool.ErrStaleNonce) {
		t.Fatalf("nonce 1 after SetNonce: %v", errs[0])
	}
	if got := p.Reap(10, 1<<20, nil); len(got) != 1 || got[0].Nonce != 2 {
		t.Fatalf("reap: %v", got)
	}
}

// A commit that lands between Add's read of the committed nonce and its
// insert must not leave the sender's new account starting below its
// transactions (they would never be reaped). The Nonce callback plays
// the driver: it reads the old nonce, then the block commits.
func TestAddRacingCommit(t *testing.T) {
	st := &nonces{m: map[[32]byte]uint64{}}
	var p *mempool.Pool
	t0, t1 := tx(1, 0, "a"), tx(1, 1, "b")
	race := false
	p = mempool.New(mempool.Config{ChainID: chain, Nonce: func(s []byte) uint64 {
		n := st.get(s)
		if race {
			race = false
			st.set(1, 1)
			p.Commit([]*types.Tx{t0}) // empties and forgets sender 1's account
		}
		return n
	}})
	if errs := p.Add([]*types.Tx{t0}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	race = true
	if errs := p.Add([]*types.Tx{t1}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	if got := p.Reap(10, 1<<20, nil); len(got) != 1 || got[0].Hash() != t1.Hash() {
		t.Fatalf("reaped %d txs after a racing commit, want nonce 1", len(got))
	}
	if errs := p.Add([]*types.Tx{t0}); !errors.Is(errs[0], mempool.ErrStaleNonce) {
		t.Fatalf("committed tx re-added: %v", errs[0])
	}
}

// Clients may fill only part of the pool; peers' transactions (which other
// leaders propose) still get in, up to the full limit.
func TestClientShareLeavesRoomForPeers(t *testing.T) {
	p, _ := newPool(8, 1<<20)
	var client []*types.Tx
	for i := 0; i < 8; i++ {
		client = append(client, tx(1, uint64(i), "client"))
	}
	errs := p.AddClient(client)
	admitted := 0
	for _, err := range errs {
		if err == nil {
			admitted++
		}
	}
	// One call cannot cross the share either: 6 of 8 get in.
	if admitted != 6 {
		t.Fatalf("a client call admitted %d of 8 into a pool of 8", admitted)
	}
	if !errors.Is(errs[6], mempool.ErrFull) || !errors.Is(errs[7], mempool.ErrFull) {
		t.Fatalf("past the share: %v, want ErrFull", errs[6:])
	}
	p2, _ := newPool(8, 1<<20)
	for i := 0; i < 6; i++ {
		if errs := p2.AddClient([]*types.Tx{tx(1, uint64(i), "c")}); errs[0] != nil {
			t.Fatalf("client tx %d refused under the share: %v", i, errs[0])
		}
	}
	if errs := p2.AddClient([]*types.Tx{tx(1, 6, "c")}); !errors.Is(errs[0], mempool.ErrFull) {
		t.Fatalf("client tx past 3/4 of the pool: %v, want ErrFull", errs[0])
	}
	if errs := p2.Add([]*types.Tx{tx(2, 0, "peer"), tx(2, 1, "peer")}); errs[0] != nil || errs[1] != nil {
		t.Fatalf("peer txs refused with room left: %v", errs)
	}
	if errs := p2.Add([]*types.Tx{tx(2, 2, "peer")}); !errors.Is(errs[0], mempool.ErrFull) {
		t.Fatalf("peer tx past the limit: %v, want ErrFull", errs[0])
	}
}

// SigChecked tells the checks a call made from the transactions it turned
// away first; validators charge their spare-check budget by it.
func TestSigChecked(t *testing.T) {
	p, st := newPool(4, 1<<20)
	st.set(7, 5)
	if errs := p.AddClient([]*types.Tx{tx(1, 0, "a"), tx(1, 1, "b"), tx(1, 2, "c")}); errs[0] != nil {
		t.Fatalf("setup: %v", errs)
	}
	foreign := tx(2, 0, "x")
	foreign.ChainID = "other"
	cases := []struct {
		name    string
		add     func() error
		checked bool
	}{
		{"admitted", func() error { return p.Add([]*types.Tx{tx(3, 0, "new")})[0] }, true},
		{"bad signature", func() error { return p.Add([]*types.Tx{badSig(tx(4, 0, "bad"))})[0] }, true},
		{"pool full at insert", func() error { return p.Add([]*types.Tx{tx(5, 0, "late")})[0] }, true},
		{"duplicate", func() error { return p.Add([]*types.Tx{tx(1, 0, "a")})[0] }, false},
		{"wrong chain", func() error { return p.Add([]*types.Tx{foreign})[0] }, false},
		{"nonce already committed", func() error { return p.Add([]*types.Tx{tx(7, 2, "old")})[0] }, false},
		{"client batch refused before any check", func() error { return p.AddClient([]*types.Tx{tx(6, 0, "c")})[0] }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.add()
			if got := mempool.SigChecked(err); got != c.checked {
				t.Errorf("SigChecked(%v) = %v, want %v", err, got, c.checked)
			}
		})
	}
}

// A client may submit ahead of a gap, but only so far: past the window its
// transactions are refused with ErrNonceGap, and filling the gap moves the
// window. Peers' gossip has a wider window (it may arrive out of order).
func TestClientNonceWindow(t *testing.T) {
	p, _ := newPool(10_000, 1<<30)
	const ahead = 64 // mempool.maxClientAhead
	if errs := p.AddClient([]*types.Tx{tx(1, ahead, "edge")}); errs[0] != nil {
		t.Fatalf("nonce at the edge of the window refused: %v", errs[0])
	}
	if errs := p.AddClient([]*types.Tx{tx(1, ahead+1, "past")}); !errors.Is(errs[0], mempool.ErrNonceGap) {
		t.Fatalf("nonce past the window: %v, want ErrNonceGap", errs[0])
	}
	if errs := p.Add([]*types.Tx{tx(1, 500, "peer")}); errs[0] != nil {
		t.Fatalf("gossip ahead of a gap refused: %v", errs[0])
	}
	if errs := p.Add([]*types.Tx{tx(2, 1025, "peer")}); !errors.Is(errs[0], mempool.ErrNonceGap) {
		t.Fatalf("gossip past the peers' window: %v, want ErrNonceGap", errs[0])
	}
	// Filling 0..9 in one call moves the run's end, and the window with it.
	var run []*types.Tx
	for n := uint64(0); n < 10; n++ {
		run = append(run, tx(1, n, "run"))
	}
	run = append(run, tx(1, 10+ahead, "new edge"))
	for i, err := range p.AddClient(run) {
		if err != nil {
			t.Fatalf("tx %d of the run: %v", i, err)
		}
	}
}

// A transaction whose nonce is used already is refused without a
// signature check, bad signature or not, and says so (Unchecked), so that
// nobody attests its batch; the rest of the batch is checked as usual.
func TestUsedNonceRefusedUnchecked(t *testing.T) {
	st := &nonces{m: map[[32]byte]uint64{}}
	var checked []*types.Tx
	p := mempool.New(mempool.Config{ChainID: chain, Nonce: st.get, Verify: func(txs []*types.Tx) []bool {
		checked = append(checked, txs...)
		return types.VerifyTxs(txs)
	}})
	st.set(1, 3) // sender 1 committed nonces 0-2
	if errs := p.Add([]*types.Tx{tx(2, 0, "a"), tx(2, 1, "b")}); errs[0] != nil || errs[1] != nil {
		t.Fatalf("setup: %v", errs)
	}
	checked = nil
	// Sender 2's nonce 0 commits (executed into state, then the pool
	// told); the pool still holds nonce 1.
	st.set(2, 1)
	p.Commit([]*types.Tx{tx(2, 0, "a")})
	cases := []struct {
		name      string
		tx        *types.Tx
		stale     bool
		wantCheck bool
	}{
		{"committed nonce", tx(1, 1, "replay"), true, false},
		{"committed nonce, bad signature", badSig(tx(1, 2, "forged")), true, false},
		{"nonce committed since the pool took it", tx(2, 0, "other body"), true, false},
		{"next nonce", tx(1, 3, "new"), false, true},
		{"next nonce, bad signature", badSig(tx(3, 0, "bad")), false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checked = nil
			err := p.Add([]*types.Tx{c.tx})[0]
			if got := errors.Is(err, mempool.ErrStaleNonce) && mempool.Unchecked(err); got != c.stale {
				t.Fatalf("err %v: stale and unchecked = %v, want %v", err, got, c.stale)
			}
			if (len(checked) == 1) != c.wantCheck {
				t.Fatalf("signatures checked: %d, want check %v", len(checked), c.wantCheck)
			}
		})
	}
}

// Transactions behind a nonce gap, which no leader can propose until it
// fills, hold at most an eighth of the pool: fresh keys sending nonces
// from 1 up cannot fill it and refuse everyone else. Past the share they
// get a clear error, proposable transactions still get in, and a filled
// gap frees room.
func TestGapFloodKeepsToItsShare(t *testing.T) {
	cases := []struct {
		name             string
		maxTxs, maxBytes int
		bodyLen          int
		want             int // gapped transactions admitted before the refusals
	}{
		{"by count", 800, 1 << 30, 10, 100},
		{"by bytes", 200_000, 8 * 11 * entrySize(1000), 1000, 11}, // an eighth holds 11
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, _ := newPool(c.maxTxs, c.maxBytes)
			body := strings.Repeat("x", c.bodyLen)
			admitted, refused := 0, 0
			for s := 10; s < 40; s++ { // 30 fresh keys, 8 gapped nonces each
				var batch []*types.Tx
				for n := uint64(1); n <= 8; n++ {
					batch = append(batch, tx(s, n, body))
				}
				for _, err := range p.AddClient(batch) {
					switch {
					case err == nil:
						admitted++
					case errors.Is(err, mempool.ErrFull) && strings.Contains(err.Error(), "behind nonce gaps"):
						refused++
					default:
						t.Fatalf("unexpected error: %v", err)
					}
				}
			}
			if admitted != c.want || refused != 240-c.want {
				t.Fatalf("admitted %d, refused %d of 240 gapped transactions; want %d and %d", admitted, refused, c.want, 240-c.want)
			}
			// Proposable transactions still get in.
			for i, err := range p.AddClient([]*types.Tx{tx(1, 0, body), tx(1, 1, body)}) {
				if err != nil {
					t.Fatalf("proposable tx %d refused: %v", i, err)
				}
			}
			// Filling sender 10's gap makes its parked ones proposable, and
			// frees room behind gaps.
			if err := p.AddClient([]*types.Tx{tx(10, 0, body)})[0]; err != nil {
				t.Fatalf("gap filler: %v", err)
			}
			if err := p.AddClient([]*types.Tx{tx(50, 1, body)})[0]; err != nil {
				t.Fatalf("gapped tx after a gap filled: %v", err)
			}
		})
	}
}

// The pool keeps its own copy of a transaction: the one admitted points
// into its request or frame, which must not stay alive with it (a large
// upload of refused padding around one kept transaction).
func TestPoolKeepsNoRequestBuffer(t *testing.T) {
	p, _ := newPool(8, 1<<20)
	frame := types.EncodeTxBatch([]*types.Tx{tx(1, 0, "kept"), tx(2, 0, strings.Repeat("padding", 1000))})
	txs, err := types.DecodeTxBatch(frame)
	if err != nil {
		t.Fatal(err)
	}
	if errs := p.Add(txs[:1]); errs[0] != nil {
		t.Fatal(errs[0])
	}
	got := p.Reap(10, 1<<20, nil)
	if len(got) != 1 || got[0].Hash() != txs[0].Hash() {
		t.Fatalf("reaped %d", len(got))
	}
	if cap(got[0].Body) != len(got[0].Body) || cap(got[0].Sig) != len(got[0].Sig) {
		t.Fatalf("pool's transaction reaches into the frame: body %d/%d, sig %d/%d",
			len(got[0].Body), cap(got[0].Body), len(got[0].Sig), cap(got[0].Sig))
	}
}
