package attestor

import (
	"log/slog"
	"testing"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/types"
)

// A jailed member's vote is left out of the certificate (the chain would
// refuse it), and counts nothing toward the threshold. The attestor is
// not run: the test calls due itself, so nothing reads the staking state
// while the test jails a validator.
func TestJailedMembersVotesLeftOut(t *testing.T) {
	vals, keys, stk, dao := testValidators(t, 4)
	a := New(Config{ChainID: testChain, Key: keys[0], Chain: &fakeChain{dao: dao, stk: stk, art: &idao.Artifact{}},
		Log: slog.New(slog.DiscardHandler), Send: func(p2p.NodeID, []byte) bool { return true }, Submit: func(uint16, []byte) error { return nil }})
	c := &idao.Committee{IDAO: "data"}
	for _, v := range vals {
		c.Seats = append(c.Seats, idao.Seat{Operator: v.Operator, BLSKey: v.BLSKey, Power: 10_000})
	}
	p := idao.DefaultPolicy()
	k := tallyKey{artifact: types.Hash{0}, verdict: true}
	tally := func(seats ...uint32) {
		a.mu.Lock()
		defer a.mu.Unlock()
		tl := &tally{sigs: map[uint32][]byte{}}
		for _, s := range seats {
			tl.sigs[s] = []byte{byte(s)}
		}
		a.tallies[k] = tl
	}
	me := c.Seats[0].Operator

	stk.Slash(nil, 1, c.Seats[3].Operator, 0, true, nil)
	tally(0, 1, 3)
	if _, _, ok := a.due(k, c, p, me, false); ok {
		t.Fatal("due with a jailed member's vote making the threshold")
	}
	tally(0, 1, 2, 3)
	sigs, _, ok := a.due(k, c, p, me, false)
	if !ok {
		t.Fatal("not due with three free members of four")
	}
	if _, in := sigs[3]; in || len(sigs) != 3 {
		t.Fatalf("certificate seats %v, want 0, 1 and 2 without jailed 3", sigs)
	}
}
