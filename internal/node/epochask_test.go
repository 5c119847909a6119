package node

import (
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/p2p"
)

func peerID(b byte) p2p.NodeID { return p2p.NodeID{b} }

func TestEpochAsker(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tick := func(i int) time.Time { return t0.Add(time.Duration(i) * epochAskEvery) }

	t.Run("a flooding claimant does not take every turn", func(t *testing.T) {
		a := newEpochAsker()
		liar, honest := peerID(1), peerID(9)
		for range 100 {
			a.claim(liar, 50)
		}
		a.claim(honest, 6)
		for range 100 {
			a.claim(liar, 50)
		}
		var got []p2p.NodeID
		for i := range 4 {
			if p, ok := a.next(5, tick(i+1), false); ok {
				got = append(got, p)
			}
		}
		want := []p2p.NodeID{liar, honest, liar, honest}
		for i := range want {
			if i >= len(got) || got[i] != want[i] {
				t.Fatalf("asked %v, want %v", got, want)
			}
		}
	})
	t.Run("at most one request per interval unless forced", func(t *testing.T) {
		a := newEpochAsker()
		a.claim(peerID(1), 3)
		if _, ok := a.next(2, tick(1), false); !ok {
			t.Fatal("first request not sent")
		}
		if _, ok := a.next(2, tick(1).Add(epochAskEvery/2), false); ok {
			t.Fatal("second request within the interval")
		}
		if _, ok := a.next(2, tick(1).Add(epochAskEvery/2), true); !ok {
			t.Fatal("forced request (after an epoch switch) not sent")
		}
	})
	t.Run("nothing to ask once the claims are reached", func(t *testing.T) {
		a := newEpochAsker()
		if _, ok := a.next(0, tick(1), true); ok {
			t.Fatal("asked with no claimant")
		}
		a.claim(peerID(1), 4)
		if _, ok := a.next(4, tick(1), true); ok {
			t.Fatal("asked while in the highest epoch claimed")
		}
	})
	t.Run("fresh identities cannot shut out a claimant forever", func(t *testing.T) {
		a := newEpochAsker()
		for i := range maxClaimants {
			a.claim(peerID(byte(100+i)), 9)
		}
		honest := peerID(7)
		for i := 1; i <= 3*maxClaimants; i++ {
			a.claim(honest, 9) // an honest peer keeps sending messages
			a.claim(peerID(byte(200+i%50)), 9)
			if p, ok := a.next(1, tick(i), false); ok && p == honest {
				return
			}
		}
		t.Fatalf("the honest claimant was never asked in %d turns", 3*maxClaimants)
	})
}
