package node

import (
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/crypto/simsig"
	"github.com/lazchain/lazchain/internal/mempool"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/quorum"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/types"
)

func testView(t *testing.T, stakes ...uint64) *epochView {
	t.Helper()
	reg := simsig.NewRegistry()
	vals := make([]types.Validator, len(stakes))
	for i, s := range stakes {
		vals[i] = types.Validator{PubKey: simsig.NewKey(reg, []byte(fmt.Sprint("attest-", i))).PublicKey(), Stake: s}
	}
	set, err := types.NewValidatorSet("attest-test", 3, reg.Scheme(), vals)
	if err != nil {
		t.Fatal(err)
	}
	return &epochView{epoch: &state.Epoch{Number: 3}, set: set, self: 0}
}

func digest(i int) types.Hash { return types.HashOf([]byte(fmt.Sprint("batch ", i))) }

// The co-verifiers of a batch, with its origin, always hold more than the
// faulty share of stake, so one of them is honest; none is the origin; and
// the draw spreads the work instead of always picking the same validator.
func TestCoVerifiersCoverTheFaultyShare(t *testing.T) {
	cases := []struct {
		name   string
		stakes []uint64
	}{
		{"four equal", []uint64{1, 1, 1, 1}},
		{"seven unequal", []uint64{50, 1, 3, 20, 7, 7, 12}},
		{"one giant", []uint64{100, 1, 1, 1}},
		{"ten", []uint64{5, 5, 5, 5, 5, 5, 5, 5, 5, 5}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := testView(t, c.stakes...)
			faulty := quorum.MaxFaulty(v.set.TotalStake())
			picked := map[int]int{}
			for i := 0; i < 400; i++ {
				origin := i%(v.set.Len()+1) - 1 // -1: not a validator
				cv := coVerifiers(v.set, digest(i), origin)
				var stake uint64
				if origin >= 0 {
					stake = v.set.StakeOf(origin)
				}
				for _, x := range cv {
					if x == origin {
						t.Fatalf("origin %d drawn as its own co-verifier", origin)
					}
					stake += v.set.StakeOf(x)
					picked[x]++
				}
				if stake <= faulty {
					t.Fatalf("batch %d from %d: co-verifiers %v hold %d with the origin, faulty share is %d", i, origin, cv, stake, faulty)
				}
				if again := coVerifiers(v.set, digest(i), origin); fmt.Sprint(again) != fmt.Sprint(cv) {
					t.Fatalf("the draw is not deterministic: %v then %v", cv, again)
				}
			}
			if len(c.stakes) > 2 && len(picked) < 2 {
				t.Fatalf("every batch drew the same co-verifiers: %v", picked)
			}
		})
	}
}

// A held batch is released only once its vouchers' stake exceeds the
// faulty share, whether the attestations come before or after the batch,
// and only once; vouchers of another epoch do not count.
func TestAttestBookReleasesOnEnoughStake(t *testing.T) {
	v := testView(t, 1, 1, 1, 1) // faulty share 1: two vouchers needed
	txs := []*types.Tx{{ChainID: "attest-test", Sender: make([]byte, 32), Sig: make([]byte, 64)}}
	txs[0].Seal()

	a := newAttestBook()
	if ready, full, _ := a.hold(digest(1), txs, 1, p2p.NodeID{}, v); ready != nil || full {
		t.Fatalf("released on the origin's word alone")
	}
	if got := a.vouch(digest(1), 1, v); got != nil {
		t.Fatalf("the origin vouching again counted twice")
	}
	if got := a.vouch(digest(1), 2, v); len(got) != 1 {
		t.Fatalf("not released with two of four vouching")
	}
	if got := a.vouch(digest(1), 3, v); got != nil {
		t.Fatalf("released twice")
	}

	// Attestations that arrive first are kept for the batch.
	a.vouch(digest(2), 3, v)
	if ready, _, _ := a.hold(digest(2), txs, 1, p2p.NodeID{}, v); len(ready) != 1 {
		t.Fatalf("an early attestation was not counted")
	}

	// An attestation made under one epoch's indices does not count for a
	// batch that arrives in the next: the index may be another validator.
	next0 := testView(t, 1, 1, 1, 1)
	next0.epoch = &state.Epoch{Number: 4}
	a.vouch(digest(4), 2, v)
	if ready, _, _ := a.hold(digest(4), txs, 1, p2p.NodeID{}, next0); ready != nil {
		t.Fatalf("an attestation from the previous epoch released a batch")
	}

	// A batch held in one epoch is not released by the next epoch's set.
	next := testView(t, 1, 1, 1, 1)
	next.epoch = &state.Epoch{Number: 4}
	a.hold(digest(3), txs, 1, p2p.NodeID{}, v)
	if got := a.vouch(digest(3), 2, next); got != nil {
		t.Fatalf("released by another epoch's vouchers")
	}
	// It is checked locally once it has waited long enough.
	if over := a.overdue(time.Now().Add(attestWait)); len(over) != 2 {
		t.Fatalf("%d overdue batches, want the 2 never vouched for", len(over))
	}
	if over := a.overdue(time.Now().Add(attestWait)); len(over) != 0 {
		t.Fatalf("an overdue batch came back")
	}
}

// The book stops holding batches when full: the caller must then check
// the batch itself rather than admit it unchecked. Each origin may fill
// only its share (the book split among the set), so one faulty validator
// flooding junk batches leaves room for the others'; and the book holds
// a bounded number of bytes.
func TestAttestBookFull(t *testing.T) {
	v := testView(t, 1, 1, 1, 1)
	a := newAttestBook()
	share := maxHeld / 4
	for i := 0; i < share; i++ {
		if _, full, _ := a.hold(digest(i), nil, 1, p2p.NodeID{}, v); full {
			t.Fatalf("full after %d", i)
		}
	}
	if ready, full, _ := a.hold(digest(share), nil, 1, p2p.NodeID{}, v); !full || ready != nil {
		t.Fatalf("origin past its share: full %v ready %v", full, ready)
	}
	for origin := 0; origin < 4; origin++ {
		if origin == 1 {
			continue
		}
		for i := 0; i < share; i++ {
			if _, full, _ := a.hold(digest((origin+1)<<16|i), nil, origin, p2p.NodeID{}, v); full {
				t.Fatalf("origin %d refused after %d while origin 1 is at its share", origin, i)
			}
		}
	}
	if ready, full, _ := a.hold(digest(1<<20), nil, 0, p2p.NodeID{}, v); !full || ready != nil {
		t.Fatalf("hold past the limit: full %v ready %v", full, ready)
	}
	// Bytes: a few batches of the largest transactions fill it.
	b := newAttestBook()
	big := &types.Tx{ChainID: "t", Sender: make([]byte, 32), Sig: make([]byte, 64), Body: make([]byte, types.MaxTxBytes-200)}
	batch := make([]*types.Tx, 256) // 16 MiB
	for i := range batch {
		batch[i] = big
	}
	held := 0
	for i := 0; i < 64; i++ {
		if _, full, _ := b.hold(digest(i), batch, i%4, p2p.NodeID{}, v); full {
			break
		}
		held++
	}
	if held == 0 || held*len(batch)*big.EncodedSize() > maxHeldBytes {
		t.Fatalf("held %d batches of %d bytes, bound %d", held, len(batch)*big.EncodedSize(), maxHeldBytes)
	}
}

// A batch is attested only if every transaction in it was checked here or
// was in the pool already: a used nonce's transaction is refused without a
// check, and an attestation would let a validator that has not committed
// that nonce take it unchecked.
func TestUnvouchedKeepsBatchFromAttestation(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	signed := func(nonce uint64) *types.Tx {
		x := &types.Tx{ChainID: "attest-test", Nonce: nonce, Body: []byte("b")}
		x.Sign(priv)
		return x
	}
	pool := mempool.New(mempool.Config{ChainID: "attest-test", Nonce: func([]byte) uint64 { return 1 }})
	ok := signed(1)
	forged := signed(2)
	forged.Body = []byte("changed after signing")
	errs := pool.Add([]*types.Tx{signed(0), ok, forged})
	dup := pool.Add([]*types.Tx{ok})[0]
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"admitted", errs[1], false},
		{"already in the pool", dup, false},
		{"used nonce, not checked", errs[0], true},
		{"bad signature", errs[2], true},
	}
	for _, c := range cases {
		if got := unvouched(c.err); got != c.want {
			t.Errorf("%s: unvouched(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}

// Vouched batches are admitted by the worker, off the peer's reader, and
// batches queued together go into the pool in one admission.
func TestVouchedWorkerAdmits(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	batch := func(from, n uint64) []*types.Tx {
		var out []*types.Tx
		for nonce := from; nonce < from+n; nonce++ {
			x := &types.Tx{ChainID: "attest-test", Nonce: nonce, Body: []byte("b")}
			x.Sign(priv)
			out = append(out, x)
		}
		return out
	}
	n := &Node{pool: mempool.New(mempool.Config{ChainID: "attest-test"}), metrics: newMetrics(),
		vouched: make(chan []*types.Tx, 4), done: make(chan struct{}), kick: make(chan struct{}, 1)}
	a, b := batch(0, 3), batch(3, 2)
	n.vouched <- a
	n.vouched <- b
	go n.vouchedWorker()
	defer close(n.done)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if size, _ := n.pool.Size(); size == len(a)+len(b) {
			break
		}
		if time.Now().After(deadline) {
			size, _ := n.pool.Size()
			t.Fatalf("pool holds %d transactions, want %d", size, len(a)+len(b))
		}
		time.Sleep(time.Millisecond)
	}
	for _, tx := range append(a, b...) {
		if !n.pool.Has(tx.Hash()) {
			t.Fatalf("nonce %d not admitted", tx.Nonce)
		}
	}
	// Merging must copy: the attest book may still read a queued batch,
	// and a's spare capacity is not the worker's to write.
	for i, tx := range a[len(a):cap(a)] {
		if tx != nil {
			t.Fatalf("merging wrote slot %d past the end of a queued batch", len(a)+i)
		}
	}
}

// Early attestations are bounded per validator and expire: one validator
// announcing digests of batches that never come fills only its share, and
// another's early attestation still counts when its batch arrives.
func TestEarlyAttestationsPerValidator(t *testing.T) {
	v := testView(t, 1, 1, 1, 1)
	txs := []*types.Tx{{ChainID: "attest-test", Sender: make([]byte, 32), Sig: make([]byte, 64)}}
	txs[0].Seal()
	a := newAttestBook()
	for i := range maxEarly {
		a.vouch(digest(100000+i), 3, v) // batches that never come
	}
	if n := a.earlyBy[3]; n != maxEarly/4 {
		t.Fatalf("a flooding validator holds %d early attestations, want its share %d", n, maxEarly/4)
	}
	a.vouch(digest(1), 2, v)
	if ready, _, _ := a.hold(digest(1), txs, 1, p2p.NodeID{}, v); len(ready) != 1 {
		t.Fatal("an honest early attestation was pushed out")
	}
	a.overdue(time.Now().Add(2 * attestWait))
	if len(a.early) != 0 || len(a.earlyBy) != 0 {
		t.Fatalf("%d early attestations outlived their batches' wait", len(a.early))
	}
}

// recent forgets the oldest first, and only once full.
func TestRecentForgetsTheOldest(t *testing.T) {
	r := newRecent(3)
	for i := 0; i < 3; i++ {
		r.add(digest(i))
		r.add(digest(i)) // a repeat takes no second place
	}
	for i := 0; i < 3; i++ {
		if !r.has(digest(i)) {
			t.Fatalf("digest %d forgotten before the set was full", i)
		}
	}
	r.add(digest(3))
	r.add(digest(4))
	for i, want := range []bool{false, false, true, true, true} {
		if got := r.has(digest(i)); got != want {
			t.Errorf("has(digest %d) = %v, want %v", i, got, want)
		}
	}
	if len(r.set) != 3 {
		t.Errorf("set holds %d hashes, want 3", len(r.set))
	}
}

// Attestations for a batch this validator is done with (checked here, or
// released) are dropped instead of waiting as early ones, and the same
// batch gossiped again is checked here rather than held for attestations
// that will not come.
func TestSettledBatchesDropLateAttestations(t *testing.T) {
	v := testView(t, 1, 1, 1, 1)
	a := newAttestBook()
	txs := []*types.Tx{{Nonce: 1}}

	a.checkedHere(digest(1))
	if got := a.vouch(digest(1), 2, v); got != nil {
		t.Fatal("a settled batch was released again")
	}
	if len(a.early) != 0 || len(a.earlyBy) != 0 {
		t.Fatalf("late attestation kept as early: %d early, by %v", len(a.early), a.earlyBy)
	}
	if ready, full, settled := a.hold(digest(1), txs, 1, p2p.NodeID{}, v); ready != nil || full || !settled {
		t.Fatalf("a settled batch gossiped again: ready %v, full %v, settled %v; want it checked here", ready, full, settled)
	}

	// Released by its attestations: late ones are dropped too.
	if ready, full, _ := a.hold(digest(2), txs, 1, p2p.NodeID{}, v); ready != nil || full {
		t.Fatalf("hold: ready %v, full %v", ready, full)
	}
	if got := a.vouch(digest(2), 2, v); got == nil {
		t.Fatal("two of four vouching did not release the batch")
	}
	a.vouch(digest(2), 3, v)
	if len(a.early) != 0 || len(a.held) != 0 {
		t.Fatalf("after release: %d early, %d held; want none", len(a.early), len(a.held))
	}

	// An early attestation for a batch then checked here is forgotten.
	a.vouch(digest(3), 2, v)
	if len(a.early) != 1 {
		t.Fatalf("%d early attestations, want 1", len(a.early))
	}
	a.checkedHere(digest(3))
	if len(a.early) != 0 || len(a.earlyBy) != 0 {
		t.Fatalf("early attestations of a batch checked here kept: %d, by %v", len(a.early), a.earlyBy)
	}
}
