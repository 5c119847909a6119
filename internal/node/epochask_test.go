package node

import (
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/types"
)

func peerID(b byte) p2p.NodeID { return p2p.NodeID{b} }

func all(p2p.NodeID) bool { return true }

func TestEpochAsker(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tick := func(i int) time.Time { return t0.Add(time.Duration(i) * epochAskEvery) }
	asks := func(a *epochAsker, cur uint64, turns int, connected func(p2p.NodeID) bool) []p2p.NodeID {
		var got []p2p.NodeID
		for i := range turns {
			if p, ok := a.next(cur, tick(i+1), false, connected); ok {
				got = append(got, p)
			}
		}
		return got
	}

	t.Run("a flooding claimant does not take every turn", func(t *testing.T) {
		a := newEpochAsker()
		liar, honest := peerID(1), peerID(9)
		for range 100 {
			a.claim(liar, 50, false)
		}
		a.claim(honest, 6, false)
		for range 100 {
			a.claim(liar, 50, false)
		}
		got := asks(a, 5, 4, all)
		want := []p2p.NodeID{liar, honest, liar, honest}
		if len(got) != len(want) {
			t.Fatalf("asked %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("asked %v, want %v", got, want)
			}
		}
	})
	t.Run("a trusted claimant gets every other turn against any number of identities", func(t *testing.T) {
		a := newEpochAsker()
		validator := peerID(7)
		a.claim(validator, 9, true)
		honestTurns := 0
		for i := 1; i <= 40; i++ {
			for k := range 30 { // fresh identities, claiming before and after
				a.claim(p2p.NodeID{byte(100 + k), byte(i)}, 9, false)
			}
			if p, ok := a.next(1, tick(i), false, all); ok && p == validator {
				honestTurns++
			}
		}
		if honestTurns < 20 {
			t.Fatalf("the validator was asked %d times in 40 turns, want every other", honestTurns)
		}
	})
	t.Run("claimants behind us or not connected are skipped", func(t *testing.T) {
		a := newEpochAsker()
		behind, away, good := peerID(1), peerID(2), peerID(3)
		a.claim(behind, 4, true)
		a.claim(away, 9, true)
		a.claim(good, 9, true)
		got := asks(a, 5, 3, func(id p2p.NodeID) bool { return id != away })
		for _, p := range got {
			if p != good {
				t.Fatalf("asked %v, want only the connected claimant ahead", got)
			}
		}
		if len(got) != 3 {
			t.Fatalf("asked %v", got)
		}
	})
	t.Run("at most one request per interval unless forced", func(t *testing.T) {
		a := newEpochAsker()
		a.claim(peerID(1), 3, false)
		if _, ok := a.next(2, tick(1), false, all); !ok {
			t.Fatal("first request not sent")
		}
		if _, ok := a.next(2, tick(1).Add(epochAskEvery/2), false, all); ok {
			t.Fatal("second request within the interval")
		}
		if _, ok := a.next(2, tick(1).Add(epochAskEvery/2), true, all); !ok {
			t.Fatal("forced request (after an epoch switch) not sent")
		}
	})
	t.Run("after a switch the last prover goes first", func(t *testing.T) {
		a := newEpochAsker()
		a.claim(peerID(1), 9, false)
		a.claim(peerID(2), 9, false)
		a.proved(peerID(2))
		if p, ok := a.next(3, tick(1), true, all); !ok || p != peerID(2) {
			t.Fatalf("forced ask went to %v (%v), want the last prover", p, ok)
		}
	})
	t.Run("an untrusted claimant without a proof is asked ever less often", func(t *testing.T) {
		a := newEpochAsker()
		liar := peerID(1)
		a.claim(liar, 1<<40, false)
		var at []time.Duration
		for i := 1; i <= 200; i++ { // 60 s of turns
			if p, ok := a.next(2, tick(i), false, all); ok && p == liar {
				at = append(at, tick(i).Sub(t0))
			}
		}
		// Waits of 0.3, 0.6, 1.2, 2.4, 4.8, 9.6 s, then 10 s (the cap,
		// rounded up to the 300 ms turns).
		want := []time.Duration{300, 600, 1200, 2400, 4800, 9600, 19200, 29400, 39600, 49800, 60000}
		if len(at) != len(want) {
			t.Fatalf("asked at %v, want at %v ms", at, want)
		}
		for i := range want {
			if at[i] != want[i]*time.Millisecond {
				t.Fatalf("asked at %v, want at %v ms", at, want)
			}
		}
		// A proof from it resets the wait.
		a.proved(liar)
		if _, ok := a.next(2, tick(201), false, all); !ok {
			t.Fatal("not asked at once after its proof")
		}
	})
	t.Run("nothing to ask once the claims are reached", func(t *testing.T) {
		a := newEpochAsker()
		if _, ok := a.next(0, tick(1), true, all); ok {
			t.Fatal("asked with no claimant")
		}
		a.claim(peerID(1), 4, false)
		if _, ok := a.next(4, tick(1), true, all); ok {
			t.Fatal("asked while in the highest epoch claimed")
		}
	})
}

func TestAskedSet(t *testing.T) {
	var s askedSet
	t0 := time.Unix(500, 0)
	if s.recent(peerID(1), t0) {
		t.Fatal("a peer never asked counts as asked")
	}
	s.note(peerID(1), t0)
	tests := []struct {
		peer p2p.NodeID
		at   time.Time
		want bool
	}{
		{peerID(1), t0.Add(time.Second), true},
		{peerID(1), t0.Add(outsideAnswerWindow), false},
		{peerID(2), t0.Add(time.Second), false},
	}
	for _, tc := range tests {
		if got := s.recent(tc.peer, tc.at); got != tc.want {
			t.Fatalf("recent(%v, +%v) = %v, want %v", tc.peer[0], tc.at.Sub(t0), got, tc.want)
		}
	}
}

// Outsiders share a quarter of the box for the next epoch's messages: a
// crowd of keys fills that much, and the validators' own messages still
// fit.
func TestEarlyBoxKeepsRoomForValidators(t *testing.T) {
	var b earlyBox
	msg := &types.Vote{}
	kept := 0
	for i := range maxEarlyMsgs {
		var id p2p.NodeID
		id[0], id[1] = byte(i), byte(i>>8)
		if b.keep(id, false, msg, 100) {
			kept++
		}
	}
	if kept != maxEarlyOutsiderMsgs {
		t.Fatalf("outsiders kept %d messages, want %d", kept, maxEarlyOutsiderMsgs)
	}
	var validator p2p.NodeID
	validator[31] = 1 // unlike every outsider above
	for i := range maxEarlyPerSender {
		if !b.keep(validator, true, msg, 100) {
			t.Fatalf("validator's message %d refused", i)
		}
	}
	if b.keep(validator, true, msg, 100) {
		t.Fatal("a validator past its own share was kept")
	}
	if got := len(b.take()); got != maxEarlyOutsiderMsgs+maxEarlyPerSender {
		t.Fatalf("took %d messages", got)
	}
	if !b.keep(p2p.NodeID{1}, false, msg, 100) {
		t.Fatal("box not emptied by take")
	}
}

// A peer asked for a proof is known as asked for a few seconds, so its
// answer need not share the budget of proofs nobody asked for (one peer
// flooding junk proofs starved the answer a node behind asked for).
func TestAskedRecently(t *testing.T) {
	a := newEpochAsker()
	var asked, other p2p.NodeID
	asked[0], other[0] = 1, 2
	a.claim(asked, 5, false)
	a.claim(other, 5, false)
	now := time.Now()
	got, ok := a.next(3, now, true, func(p2p.NodeID) bool { return true })
	if !ok {
		t.Fatal("nobody asked")
	}
	if !a.askedRecently(got, now.Add(time.Second)) {
		t.Fatal("the peer just asked is not known as asked")
	}
	notAsked := asked
	if got == asked {
		notAsked = other
	}
	if a.askedRecently(notAsked, now.Add(time.Second)) {
		t.Fatal("a peer never asked counts as asked")
	}
	if a.askedRecently(got, now.Add(askedWindow+time.Second)) {
		t.Fatal("still asked long after")
	}
}

// One validator's full-size messages fill only its byte share: by count
// alone, four proposals of MaxBlockBytes took the whole box, and every
// other validator's next-epoch votes were dropped.
func TestEarlyBoxBytesPerSender(t *testing.T) {
	var b earlyBox
	byz, honest := p2p.NodeID{1}, p2p.NodeID{2}
	msg := &types.Vote{Epoch: 2, Round: 1}
	kept := 0
	for range 4 {
		if b.keep(byz, true, msg, types.MaxBlockBytes) {
			kept++
		}
	}
	if kept != 1 {
		t.Fatalf("one sender kept %d full-size messages, want 1", kept)
	}
	if !b.keep(byz, true, msg, 200) {
		t.Fatal("a small message after one full proposal was refused")
	}
	if !b.keep(honest, true, msg, 200) {
		t.Fatal("another validator's vote was refused")
	}
	b.take()
	if !b.keep(byz, true, msg, types.MaxBlockBytes) {
		t.Fatal("take did not free the sender's bytes")
	}
}
