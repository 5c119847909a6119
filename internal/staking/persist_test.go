package staking

import (
	"bytes"
	"errors"
	"testing"

	"github.com/lazchain/lazchain/internal/codec"
)

// busyFixture returns a state with every collection non-empty: several
// validators, delegations, unbonding entries, retained sets, a punished
// offense, a jailed validator and liveness counts.
func busyFixture(t testing.TB) *fixture {
	f := newFixture(t, testParams(), 5000, 3000)
	f.mustExec(addr(3), KindCreateValidator, createBody(3, 2000, 500))
	f.mustExec(addr(10), KindDelegate, Delegate{Validator: addr(1), Amount: 700}.Encode())
	f.mustExec(addr(11), KindDelegate, Delegate{Validator: addr(3), Amount: 900}.Encode())
	f.endEpoch()
	f.mustExec(addr(10), KindUndelegate, Undelegate{Validator: addr(1), Amount: 300}.Encode())
	f.mustExec(addr(12), KindEvidence, equivocation(2, EvidenceVote, 0, 5, 1).Encode())
	f.commit(0, []int{0, 2})
	return f
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	f := busyFixture(t)
	enc := f.s.Encode()
	s2, err := Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s2.Encode(), enc) {
		t.Fatal("Decode(Encode(s)) encodes differently")
	}
	// The decoded state behaves the same: same epoch change, same bytes.
	g := &fixture{t: t, s: s2, bank: MapBank{}, height: f.height}
	for a, v := range f.bank {
		g.bank[a] = v
	}
	a, b := f.endEpoch(), g.endEpoch()
	if a.Epoch != b.Epoch || !equalAddrs(operators(a.Set), operators(b.Set)) || !bytes.Equal(f.s.Encode(), g.s.Encode()) {
		t.Fatal("decoded state diverged")
	}
	// Indexes were rebuilt: a duplicate key is still caught.
	if err := g.exec(addr(4), KindCreateValidator, createBody(3, 2000, 0)); err == nil {
		t.Fatal("decoded state accepted a duplicate key")
	}
}

func TestEncodeIsDeterministic(t *testing.T) {
	a, b := busyFixture(t).s.Encode(), busyFixture(t).s.Encode()
	if !bytes.Equal(a, b) {
		t.Fatal("two identical histories encode differently")
	}
}

func TestDecodeRejects(t *testing.T) {
	enc := busyFixture(t).s.Encode()
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, codec.ErrShort},
		{"version", append([]byte{StateVersion + 1}, enc[1:]...), codec.ErrVersion},
		{"trailing", append(append([]byte{}, enc...), 0), codec.ErrTrailing},
		{"truncated", enc[:len(enc)-1], codec.ErrShort},
	}
	for _, c := range cases {
		if _, err := Decode(c.b); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	// Inconsistent states are rejected even when they parse.
	bad := []func(s *State){
		func(s *State) { s.validators[addr(1)].Shares++ },
		func(s *State) { s.signed = s.signed[1:] },
		func(s *State) { s.validators[addr(3)].BLSKey = clone(s.validators[addr(1)].BLSKey) },
		func(s *State) { s.validators[addr(3)].NodeID = s.validators[addr(1)].NodeID },
		func(s *State) { s.unbonding[0].Validator = addr(50) },
		func(s *State) { delete(s.sets, s.epoch) },
		func(s *State) { s.sets[s.epoch+1] = s.sets[s.epoch] },
		func(s *State) { s.validators[addr(1)].CommissionBps = 10_001 },
	}
	for i, edit := range bad {
		s, err := Decode(enc)
		if err != nil {
			t.Fatal(err)
		}
		edit(s)
		if _, err := Decode(s.Encode()); !errors.Is(err, ErrInconsistent) {
			t.Errorf("edit %d: got %v, want ErrInconsistent", i, err)
		}
	}
}

// Clone is a deep copy: equal encodings, and changing one leaves the other.
func TestClone(t *testing.T) {
	f := busyFixture(t)
	c := f.s.Clone()
	if !bytes.Equal(c.Encode(), f.s.Encode()) {
		t.Fatal("clone encodes differently")
	}
	before := c.Encode()
	f.mustExec(addr(10), KindDelegate, Delegate{Validator: addr(1), Amount: 50}.Encode())
	f.mustExec(addr(4), KindCreateValidator, createBody(4, 2000, 0))
	f.s.Slash(f.bank, 0, addr(3), 1000, true, nil)
	f.endEpoch()
	if !bytes.Equal(c.Encode(), before) {
		t.Fatal("changing the original changed the clone")
	}
	if err := c.check(); err != nil {
		t.Fatal(err)
	}
	if _, used := c.blsKeys[string(pubKey(4))]; used {
		t.Fatal("clone shares the key index")
	}
}
