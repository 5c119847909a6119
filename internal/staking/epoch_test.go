package staking

import (
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

// Epoch 0 is the genesis list as given, even when stakes would order it
// differently.
func TestGenesisOrder(t *testing.T) {
	f := newFixture(t, testParams(), 1000, 5000, 3000)
	if got := operators(f.s.Active()); !equalAddrs(got, addrs(1, 2, 3)) {
		t.Fatalf("epoch 0 set %v, want genesis order", got)
	}
	ch := f.endEpoch()
	if ch.Epoch != 1 || ch.LastHeight != 10 || !equalAddrs(operators(ch.Set), addrs(2, 3, 1)) {
		t.Fatalf("change %d@%d %v, want epoch 1 after height 10, sorted by stake", ch.Epoch, ch.LastHeight, operators(ch.Set))
	}
	f.checkSupply()
}

// The next set: top by stake, ties by operator, MinStake and jail filter,
// truncated to MaxValidators.
func TestNextSetSelection(t *testing.T) {
	p := testParams()
	p.MaxValidators = 3
	f := newFixture(t, p, 1000, 1000)
	f.mustExec(addr(5), KindCreateValidator, createBody(5, 2000, 0))
	f.mustExec(addr(4), KindCreateValidator, createBody(4, 2000, 0)) // ties with 5, lower operator
	f.mustExec(addr(3), KindCreateValidator, createBody(3, 5000, 0))
	f.mustExec(addr(6), KindCreateValidator, createBody(6, 9000, 0))
	f.s.Slash(nil, 0, addr(6), 0, true, nil) // largest, but jailed
	f.mustExec(addr(7), KindCreateValidator, createBody(7, 1500, 0))
	f.mustExec(addr(7), KindUndelegate, Undelegate{Validator: addr(7), Amount: 600}.Encode()) // 900 < MinStake
	f.mustExec(addr(10), KindDelegate, Delegate{Validator: addr(7), Amount: 50}.Encode())     // 950, still below

	ch := f.endEpoch()
	if got, want := operators(ch.Set), addrs(3, 4, 5); !equalAddrs(got, want) {
		t.Fatalf("set %v, want %v", got, want)
	}
	for i, pw := range []uint64{5000, 2000, 2000} {
		if ch.Set[i].Power != pw {
			t.Errorf("member %d power %d, want %d", i, ch.Set[i].Power, pw)
		}
	}
	if m := ch.Set[0]; m.NodeID != nodeID(3) || string(m.BLSKey) != string(pubKey(3)) || m.Name != "val-3" {
		t.Errorf("member 0 does not carry validator 3's keys: %+v", m)
	}

	// A delegation reorders the set at the next boundary, not before.
	f.mustExec(addr(10), KindDelegate, Delegate{Validator: addr(1), Amount: 4500}.Encode())
	if got := operators(f.s.Active()); !equalAddrs(got, addrs(3, 4, 5)) {
		t.Fatalf("set changed mid-epoch: %v", got)
	}
	ch = f.endEpoch()
	if got, want := operators(ch.Set), addrs(1, 3, 4); !equalAddrs(got, want) {
		t.Fatalf("set %v, want %v", got, want)
	}
	f.checkSupply()
}

// If nobody qualifies the old set stays, so the chain can still commit.
func TestEmptySetKeepsOld(t *testing.T) {
	f := newFixture(t, testParams(), 2000, 3000)
	f.s.Slash(nil, 0, addr(1), 0, true, nil)
	f.s.Slash(nil, 0, addr(2), 0, true, nil)
	ch := f.endEpoch()
	if got := operators(ch.Set); !equalAddrs(got, addrs(1, 2)) || ch.Set[0].Power != 2000 {
		t.Fatalf("set %v, want the old set kept", got)
	}
	if ch.Epoch != 1 || f.s.Epoch() != 1 {
		t.Fatalf("epoch %d, want 1", f.s.Epoch())
	}
}

// Sets are retained for the evidence window and then dropped.
func TestSetRetention(t *testing.T) {
	f := newFixture(t, testParams(), 2000)
	for range 4 {
		f.endEpoch()
	}
	for e, want := range map[uint64]bool{0: false, 1: false, 2: true, 3: true, 4: true, 5: false} {
		if _, ok := f.s.SetAt(e); ok != want {
			t.Errorf("SetAt(%d) = %v, want %v", e, ok, want)
		}
	}
}

func TestEndBlockBoundaries(t *testing.T) {
	f := newFixture(t, testParams(), 2000)
	for h := uint64(1); h < 10; h++ {
		if ch := f.s.EndBlock(f.bank, h); ch != nil {
			t.Fatalf("epoch ended at height %d", h)
		}
	}
	if ch := f.s.EndBlock(f.bank, 10); ch == nil || ch.Epoch != 1 {
		t.Fatalf("no change at height 10: %+v", ch)
	}
	// A skipped boundary is caught up, one epoch per call.
	if ch := f.s.EndBlock(f.bank, 35); ch == nil || ch.Epoch != 2 {
		t.Fatalf("late boundary not taken: %+v", ch)
	}
}

// Liveness indices outside the set, and oversized bitmaps, are ignored.
func TestRecordBlockIgnoresOutOfRange(t *testing.T) {
	f := newFixture(t, testParams(), 2000, 2000)
	bm := types.NewBitmap(64)
	bm.Set(1)
	bm.Set(40)
	f.s.RecordBlock(7, bm)
	if f.s.signed[0] != 0 || f.s.signed[1] != 1 || f.s.blocks != 1 {
		t.Fatalf("signed %v blocks %d", f.s.signed, f.s.blocks)
	}
}
