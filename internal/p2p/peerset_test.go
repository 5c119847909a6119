package p2p

import (
	"crypto/ed25519"
	"crypto/tls"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// A validator that moves (an on-chain edit of its address) is redialled at
// the new address once SetPeers carries it; the live connection to the
// old one is not cut for it.
func TestSetPeersRedialsAtNewAddress(t *testing.T) {
	ka, kb := keyFromSeed(60), keyFromSeed(61)
	b1, _ := newHost(t, Config{Key: kb, Listen: "127.0.0.1:0", Peers: []PeerAddr{{ID: idOf(ka)}}}, nil)
	old := b1.Addr().String()
	bid := b1.ID()
	a, arec := newHost(t, Config{Key: ka, Peers: []PeerAddr{{ID: bid, Addr: old}}, DialAll: true}, nil)
	eventually(t, "first connection", func() bool { return hasPeer(a, bid) })

	bin := make(inbox, 16)
	b2, _ := newHost(t, Config{Key: kb, Listen: "127.0.0.1:0", Peers: []PeerAddr{{ID: idOf(ka)}}}, bin.handler)
	a.SetPeers([]PeerAddr{{ID: bid, Addr: b2.Addr().String()}})
	if arec.count("peer address changed", bid) != 1 {
		t.Fatal("address change not noticed")
	}
	time.Sleep(50 * time.Millisecond)
	if n := arec.count(connected, bid); n != 1 {
		t.Fatalf("live connection replaced on an address change: %d connections", n)
	}

	b1.Close() // the validator leaves its old address
	eventually(t, "connection at the new address", func() bool { return hasPeer(a, bid) && hasPeer(b2, a.ID()) })
	if !a.Send(bid, ChanConsensus, []byte("moved")) {
		t.Fatal("send to the moved peer failed")
	}
	bin.expect(t, a.ID(), ChanConsensus, "moved")
}

// A peer dropped from the set is no longer redialled, and when only
// members may connect its live connection is cut at once.
func TestSetPeersRetiresLeavers(t *testing.T) {
	cases := []struct {
		name    string
		trusted bool // whether the leaver may still connect (p2p.open)
	}{
		{"open network keeps the connection", true},
		{"members only disconnects", false},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ka, kb := keyFromSeed(byte(62+2*i)), keyFromSeed(byte(63+2*i))
			b, _ := newHost(t, Config{Key: kb, Listen: "127.0.0.1:0", Peers: []PeerAddr{{ID: idOf(ka)}}}, nil)
			bid, addr := b.ID(), b.Addr().String()
			var trusted atomic.Bool
			trusted.Store(true)
			a, arec := newHost(t, Config{Key: ka, Peers: []PeerAddr{{ID: bid, Addr: addr}}, DialAll: true,
				Trusted: func(id NodeID) bool { return id == bid && trusted.Load() }}, nil)
			eventually(t, "connection", func() bool { return hasPeer(a, bid) })

			trusted.Store(tc.trusted)
			a.SetPeers(nil)
			if tc.trusted {
				time.Sleep(50 * time.Millisecond)
				if !hasPeer(a, bid) {
					t.Fatal("a trusted leaver's live connection was cut")
				}
			}
			b.Close()
			eventually(t, "disconnection", func() bool { return !hasPeer(a, bid) })
			// Back at the same address: a retired peer is not dialled again.
			b2, _ := newHost(t, Config{Key: kb, Listen: addr, Peers: []PeerAddr{{ID: idOf(ka)}}}, nil)
			time.Sleep(600 * time.Millisecond) // several back-off periods
			if hasPeer(a, bid) || hasPeer(b2, a.ID()) {
				t.Fatal("retired peer redialled")
			}
			if n := arec.count(connected, bid); n != 1 {
				t.Fatalf("%d connections to a retired peer, want 1", n)
			}

			// Back in the set, it is dialled again.
			trusted.Store(true)
			a.SetPeers([]PeerAddr{{ID: bid, Addr: addr}})
			eventually(t, "redial after rejoining", func() bool { return hasPeer(a, bid) })
		})
	}
}

// A frame over the limit is refused at the sender: sent, it would make the
// receiver drop the connection and everything queued on it.
func TestOversizedFrameNotSent(t *testing.T) {
	ka, kb := keyFromSeed(70), keyFromSeed(71)
	bin := make(inbox, 16)
	b, _ := newHost(t, Config{Key: kb, Listen: "127.0.0.1:0", Peers: []PeerAddr{{ID: idOf(ka)}}}, bin.handler)
	a, arec := newHost(t, Config{Key: ka, Peers: []PeerAddr{{ID: b.ID(), Addr: b.Addr().String()}}, DialAll: true}, nil)
	eventually(t, "connection", func() bool { return hasPeer(a, b.ID()) })

	huge := make([]byte, MaxFrame+1)
	if a.Send(b.ID(), ChanTxs, huge) {
		t.Fatal("Send accepted a payload over MaxFrame")
	}
	a.Broadcast(ChanTxs, huge)
	if !a.Send(b.ID(), ChanConsensus, []byte("after")) {
		t.Fatal("send after the refused frame failed")
	}
	bin.expect(t, a.ID(), ChanConsensus, "after")
	if n := arec.any("peer disconnected"); n != 0 {
		t.Fatalf("%d disconnections", n)
	}
	if !a.Send(b.ID(), ChanSync, make([]byte, MaxFrame)) {
		t.Fatal("the largest legal frame refused")
	}
}

// A peer no longer trusted cannot come back by resuming an earlier TLS
// session: Go checks VerifyPeerCertificate only on full handshakes, so the
// host issues no session tickets.
func TestNoResumptionAfterTrustRevoked(t *testing.T) {
	ka, kb := keyFromSeed(72), keyFromSeed(73)
	var trusted atomic.Bool
	trusted.Store(true)
	b, brec := newHost(t, Config{Key: kb, Listen: "127.0.0.1:0",
		Trusted: func(id NodeID) bool { return id == idOf(ka) && trusted.Load() }}, nil)
	cert, err := certificate(ka)
	if err != nil {
		t.Fatal(err)
	}
	cfg := tlsConfig(cert, func(NodeID) bool { return true })
	cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	dial := func() (*tls.Conn, error) {
		tc, err := tls.DialWithDialer(&net.Dialer{Timeout: waitTimeout}, "tcp", b.Addr().String(), cfg)
		if err == nil {
			t.Cleanup(func() { tc.NetConn().Close() })
		}
		return tc, err
	}
	first, err := dial()
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "first connection", func() bool { return brec.count(connected, idOf(ka)) == 1 })
	// TLS 1.3 tickets come after the handshake: read a little so that one
	// would arrive in the cache.
	first.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	first.Read(make([]byte, 1))
	first.NetConn().Close()

	trusted.Store(false)
	second, err := dial()
	if err == nil {
		resumed := second.ConnectionState().DidResume
		if !readsUntilClosed(second, waitTimeout) {
			t.Fatalf("untrusted peer kept its connection (resumed %v)", resumed)
		}
	}
	if n := brec.count(connected, idOf(ka)); n != 1 {
		t.Fatalf("untrusted peer connected again (%d connections)", n)
	}
}

// Two hosts that both dial (full nodes, or a full node that became a
// validator) settle on one connection (the one the smaller key dialled
// when both dials land) instead of cutting each other's in turn.
func TestBothDiallingSettle(t *testing.T) {
	ka, kb := keyFromSeed(74), keyFromSeed(75)
	la, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addrA := la.Addr().String()
	la.Close()
	bin := make(inbox, 64)
	b, brec := newHost(t, Config{Key: kb, Listen: "127.0.0.1:0", DialAll: true, Peers: []PeerAddr{{ID: idOf(ka), Addr: addrA}}}, bin.handler)
	a, arec := newHost(t, Config{Key: ka, Listen: addrA, DialAll: true, Peers: []PeerAddr{{ID: b.ID(), Addr: b.Addr().String()}}}, nil)
	eventually(t, "connection", func() bool { return hasPeer(a, b.ID()) && hasPeer(b, a.ID()) })
	time.Sleep(3 * time.Second) // long enough for many redials if they fought

	for i := range 20 {
		if !a.Send(b.ID(), ChanConsensus, []byte{byte(i)}) {
			t.Fatalf("send %d failed", i)
		}
		bin.expect(t, a.ID(), ChanConsensus, string([]byte{byte(i)}))
	}
	if n := arec.any("peer disconnected") + brec.any("peer disconnected"); n > 2 {
		t.Fatalf("%d disconnections: the two dialling sides keep replacing each other's connection", n)
	}
	// Both keep the same connection: one side's outbound is the other's
	// inbound. Which one depends on who dialled first (a side that finds
	// itself connected does not dial), so only agreement is asserted.
	pa, pb := peerOf(a, b.ID()), peerOf(b, a.ID())
	if pa.outbound == pb.outbound {
		t.Fatalf("the two sides kept different connections: a outbound %v, b outbound %v", pa.outbound, pb.outbound)
	}
}

// Past the peer limit, only reserved peers (configured ones, validators)
// get in: a crowd of others cannot lock them out.
func TestPeerLimitSparesReserved(t *testing.T) {
	kh, k1, k2, kr := keyFromSeed(76), keyFromSeed(77), keyFromSeed(78), keyFromSeed(79)
	h, _ := newHost(t, Config{Key: kh, Listen: "127.0.0.1:0", MaxPeers: 1,
		Trusted:  func(NodeID) bool { return true },
		Reserved: func(id NodeID) bool { return id == idOf(kr) }}, nil)
	dial := func(k ed25519.PrivateKey) *tls.Conn {
		c, err := rawDial(t, k, h.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	dial(k1)
	eventually(t, "first peer", func() bool { return hasPeer(h, idOf(k1)) })
	second := dial(k2)
	if !readsUntilClosed(second, waitTimeout) {
		t.Fatal("a peer past the limit was kept")
	}
	dial(kr)
	eventually(t, "reserved peer past the limit", func() bool { return hasPeer(h, idOf(kr)) })
	if hasPeer(h, idOf(k2)) || !hasPeer(h, idOf(k1)) {
		t.Fatalf("peers %v", h.Peers())
	}
}

// Inbound handshakes in progress are bounded: a connection that opens and
// says nothing holds a slot until it goes or its handshake times out, and
// one past the bound is closed at once.
func TestHandshakesBounded(t *testing.T) {
	h, _ := newHost(t, Config{Key: keyFromSeed(80), Listen: "127.0.0.1:0", MaxHandshakes: 1,
		Trusted: func(NodeID) bool { return true }}, nil)
	silent, err := net.Dial("tcp", h.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	time.Sleep(100 * time.Millisecond) // the host takes it up
	start := time.Now()
	extra, err := net.Dial("tcp", h.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	if !readsUntilClosed(extra, 2*time.Second) || time.Since(start) > time.Second {
		t.Fatal("a handshake past the bound was taken up")
	}
	// Once the silent one goes (or times out, after 5 s), a real peer
	// gets in.
	silent.Close()
	k := keyFromSeed(81)
	eventually(t, "a handshake after the slot freed", func() bool {
		_, err := rawDial(t, k, h.Addr().String())
		return err == nil
	})
	eventually(t, "the peer registered", func() bool { return hasPeer(h, idOf(k)) })
}
