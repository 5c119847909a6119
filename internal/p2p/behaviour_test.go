package p2p

import (
	"bufio"
	"crypto/ed25519"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// A peer that never reads is dropped, by queue overflow or by the write
// deadline, without holding up Send or a healthy peer.
func TestSlowPeerDropped(t *testing.T) {
	const writeTimeout = 300 * time.Millisecond
	ka, kb := keyFromSeed(40), keyFromSeed(41)
	slow := []ed25519.PrivateKey{keyFromSeed(42), keyFromSeed(43), keyFromSeed(44)}
	b, _ := newHost(t, Config{Key: kb, Listen: "127.0.0.1:0", QueueSize: 8, WriteTimeout: writeTimeout,
		Trusted: trustOnly(idOf(ka), idOf(slow[0]), idOf(slow[1]), idOf(slow[2]))}, nil)
	ain := make(inbox, 64)
	a, _ := newHost(t, Config{Key: ka, Peers: []PeerAddr{{ID: b.ID(), Addr: b.Addr().String()}}, DialAll: true}, ain.handler)
	eventually(t, "healthy peer to connect", func() bool { return hasPeer(b, a.ID()) })
	healthy := peerOf(b, a.ID())

	pings := 0
	ping := func(t *testing.T) {
		t.Helper()
		pings++
		msg, start := fmt.Sprint("ping ", pings), time.Now()
		if !b.Send(a.ID(), ChanConsensus, []byte(msg)) {
			t.Fatal("send to the healthy peer failed")
		}
		ain.expect(t, b.ID(), ChanConsensus, msg)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("healthy peer took %v to get a frame", d)
		}
	}
	connectSlow := func(t *testing.T, k ed25519.PrivateKey) *peer {
		t.Helper()
		// Keep the connection referenced: a dropped one can be collected,
		// and its finalizer closes the socket, which is not a slow peer.
		conn, err := rawDial(t, k, b.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = conn })
		eventually(t, "slow peer to connect", func() bool { return hasPeer(b, idOf(k)) })
		return peerOf(b, idOf(k))
	}
	send := func(t *testing.T, to NodeID, payload []byte) bool {
		t.Helper()
		start := time.Now()
		ok := b.Send(to, ChanConsensus, payload)
		if d := time.Since(start); d > 500*time.Millisecond {
			t.Fatalf("Send blocked for %v", d)
		}
		return ok
	}
	big := pattern(1 << 20)

	t.Run("queue overflow", func(t *testing.T) {
		s := idOf(slow[0])
		connectSlow(t, slow[0])
		deadline := time.Now().Add(waitTimeout)
		for i := 0; send(t, s, big); i++ {
			if time.Now().After(deadline) {
				t.Fatal("slow peer never dropped")
			}
			if i%16 == 0 {
				ping(t)
			}
		}
		eventually(t, "slow peer to leave the table", func() bool { return !hasPeer(b, s) })
		ping(t)
	})

	t.Run("gossip overflow drops frames, not the peer", func(t *testing.T) {
		s := idOf(slow[2])
		p := connectSlow(t, slow[2])
		dropped := 0
		// Socket buffers on loopback absorb many frames before the queue
		// fills, more so when the race detector slows the writer.
		// Frames smaller than big fill the queue before the write deadline
		// (which closes a peer that stops reading) can pass, even under the
		// race detector.
		gossip := pattern(64 << 10)
		for i := 0; i < 64*bulkQueue && dropped == 0; i++ {
			start := time.Now()
			if !b.Send(s, ChanTxs, gossip) {
				dropped++
			}
			if d := time.Since(start); d > 500*time.Millisecond {
				t.Fatalf("Send blocked for %v", d)
			}
		}
		if dropped == 0 || p.dropped.Load() == 0 {
			t.Fatalf("a peer that reads nothing took %d gossip frames (dropped %d, peer counted %d, closed %v)", 64*bulkQueue, dropped, p.dropped.Load(), isClosed(p))
		}
		if b.Dropped() < p.dropped.Load() {
			t.Fatalf("host counts %d dropped frames, the peer alone %d", b.Dropped(), p.dropped.Load())
		}
		if !hasPeer(b, s) || isClosed(p) {
			t.Fatal("a full gossip queue disconnected the peer")
		}
		ping(t) // and the healthy peer is unaffected
	})

	t.Run("write deadline", func(t *testing.T) {
		s := idOf(slow[1])
		p := connectSlow(t, slow[1])
		// Keep at most one frame queued, so the queue cannot overflow: the
		// writer fills the socket, stalls, and only its deadline can help.
		var last time.Time
		// Filling loopback socket buffers a frame at a time is slow on a
		// loaded machine (the race detector, parallel packages): the bound
		// is generous because only the drop itself is under test.
		deadline := time.Now().Add(4 * waitTimeout)
		for hasPeer(b, s) {
			if time.Now().After(deadline) {
				t.Fatal("stalled peer never dropped")
			}
			if len(p.out) == 0 && !isClosed(p) {
				send(t, s, big)
				last = time.Now()
			}
			ping(t)
			time.Sleep(5 * time.Millisecond)
		}
		if d := time.Since(last); d > writeTimeout+time.Second {
			t.Fatalf("stalled peer left the table %v after the last send, write timeout %v", d, writeTimeout)
		}
		ping(t)
	})

	if peerOf(b, a.ID()) != healthy {
		t.Fatal("healthy peer was disconnected")
	}

	t.Run("close while stalled", func(t *testing.T) {
		s := idOf(slow[2])
		p := connectSlow(t, slow[2])
		for i := 0; i < 64 && len(p.out) == 0; i++ {
			send(t, s, big)
			time.Sleep(time.Millisecond)
		}
		start := time.Now()
		b.Close()
		if d := time.Since(start); d > time.Second {
			t.Fatalf("Close took %v with a stalled peer", d)
		}
	})
}

func isClosed(p *peer) bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// A busy but healthy peer is not mistaken for a stalled one: the write
// deadline bounds each write, not a whole stream of back-to-back frames.
func TestSustainedLoadKeepsPeer(t *testing.T) {
	ka, kb := keyFromSeed(45), keyFromSeed(46)
	var got atomic.Int64
	b, _ := newHost(t, Config{Key: kb, Listen: "127.0.0.1:0", Peers: []PeerAddr{{ID: idOf(ka)}}},
		func(_ NodeID, _ Channel, p []byte) { got.Add(int64(len(p))) })
	a, _ := newHost(t, Config{Key: ka, Peers: []PeerAddr{{ID: b.ID(), Addr: b.Addr().String()}}, DialAll: true,
		QueueSize: 1024, WriteTimeout: time.Second}, nil)
	eventually(t, "peers to connect", func() bool { return hasPeer(a, b.ID()) && hasPeer(b, a.ID()) })
	p := peerOf(a, b.ID())

	payload := pattern(64 << 10)
	var sent int64
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
		if len(p.bulk) >= bulkQueue/2 { // keep the writer busy, never overflow
			time.Sleep(100 * time.Microsecond)
			continue
		}
		if !a.Send(b.ID(), ChanTxs, payload) {
			t.Fatalf("healthy peer dropped after %d MB of steady traffic", sent>>20)
		}
		sent += int64(len(payload))
	}
	if isClosed(p) {
		t.Fatalf("healthy peer dropped after %d MB of steady traffic", sent>>20)
	}
	eventually(t, "all frames delivered", func() bool { return got.Load() == sent })
}

// When the far side restarts with the same key and address, the dialler
// reconnects on its own and frames flow again.
func TestReconnectAfterRestart(t *testing.T) {
	ka, kb := keyFromSeed(47), keyFromSeed(48)
	bin := make(inbox, 16)
	b1, _ := newHost(t, Config{Key: kb, Listen: "127.0.0.1:0", Peers: []PeerAddr{{ID: idOf(ka)}}}, bin.handler)
	addr := b1.Addr().String()
	ain := make(inbox, 16)
	a, arec := newHost(t, Config{Key: ka, Peers: []PeerAddr{{ID: b1.ID(), Addr: addr}}, DialAll: true}, ain.handler)
	eventually(t, "first connection", func() bool { return hasPeer(a, b1.ID()) && hasPeer(b1, a.ID()) })
	a.Send(b1.ID(), ChanConsensus, []byte("one"))
	bin.expect(t, a.ID(), ChanConsensus, "one")

	b1.Close()
	eventually(t, "dialler to notice", func() bool { return !hasPeer(a, b1.ID()) })
	if a.Send(b1.ID(), ChanConsensus, []byte("lost")) {
		t.Fatal("Send succeeded to a disconnected peer")
	}
	eventually(t, "failed redials", func() bool { return arec.count("p2p dial", b1.ID()) >= 2 })

	bin2 := make(inbox, 16)
	b2, _ := newHost(t, Config{Key: kb, Listen: addr, Peers: []PeerAddr{{ID: idOf(ka)}}}, bin2.handler)
	eventually(t, "reconnection", func() bool { return hasPeer(a, b2.ID()) && hasPeer(b2, a.ID()) })
	if !a.Send(b2.ID(), ChanTxs, []byte("two")) || !b2.Send(a.ID(), ChanSync, []byte("back")) {
		t.Fatal("send after reconnecting failed")
	}
	bin2.expect(t, a.ID(), ChanTxs, "two")
	ain.expect(t, b2.ID(), ChanSync, "back")
	if n := arec.count(connected, b2.ID()); n != 2 {
		t.Fatalf("dialler connected %d times, want 2", n)
	}
}

// A second connection with the same key replaces the first, which is
// closed; frames flow on the new one and the table keeps just it.
func TestNewConnectionReplacesOld(t *testing.T) {
	ka, kb := keyFromSeed(49), keyFromSeed(50)
	a := idOf(ka)
	bin := make(inbox, 16)
	b, _ := newHost(t, Config{Key: kb, Listen: "127.0.0.1:0", Peers: []PeerAddr{{ID: a}}}, bin.handler)

	c1, err := rawDial(t, ka, b.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "first connection", func() bool { return hasPeer(b, a) })
	p1 := peerOf(b, a)
	c1.Write(encodeFrame(ChanConsensus, []byte("via c1")))
	bin.expect(t, a, ChanConsensus, "via c1")

	c2, err := rawDial(t, ka, b.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "replacement", func() bool { p := peerOf(b, a); return p != nil && p != p1 })
	p2 := peerOf(b, a)
	if p2.conn.RemoteAddr().String() != c2.LocalAddr().String() {
		t.Fatalf("table holds %v, want the new connection %v", p2.conn.RemoteAddr(), c2.LocalAddr())
	}
	if !readsUntilClosed(c1, waitTimeout) {
		t.Fatal("old connection not closed")
	}
	// The old connection's teardown must not evict the new one.
	time.Sleep(50 * time.Millisecond)
	if peerOf(b, a) != p2 || len(b.Peers()) != 1 {
		t.Fatalf("table after replacement: %v", b.Peers())
	}

	if !b.Send(a, ChanSync, []byte("via c2")) {
		t.Fatal("send on the new connection failed")
	}
	c2.SetReadDeadline(time.Now().Add(waitTimeout))
	ch, payload, err := readFrame(bufio.NewReader(c2))
	if err != nil || ch != ChanSync || string(payload) != "via c2" {
		t.Fatalf("new connection read %d %q %v", ch, payload, err)
	}
	c2.Write(encodeFrame(ChanTxs, []byte("from c2")))
	bin.expect(t, a, ChanTxs, "from c2")
}

// Close tears the connections down at once even while a handler is
// blocked. It then waits for that handler call to return: callers rely on
// no handler running once Close returns (the node closes its store right
// after), so a handler must return when its owner shuts down, as the
// node's does on its done channel.
func TestCloseWithBlockedHandler(t *testing.T) {
	ka, kb := keyFromSeed(51), keyFromSeed(52)
	release, entered := make(chan struct{}), make(chan struct{}, 8)
	b, _ := newHost(t, Config{Key: kb, Listen: "127.0.0.1:0", Peers: []PeerAddr{{ID: idOf(ka)}}},
		func(NodeID, Channel, []byte) {
			entered <- struct{}{}
			<-release
		})
	var once atomic.Bool
	unblock := func() {
		if once.CompareAndSwap(false, true) {
			close(release)
		}
	}
	t.Cleanup(unblock) // runs before b's Close, so a failure cannot hang
	a, _ := newHost(t, Config{Key: ka, Peers: []PeerAddr{{ID: b.ID(), Addr: b.Addr().String()}}, DialAll: true}, nil)
	eventually(t, "peers to connect", func() bool { return hasPeer(a, b.ID()) && hasPeer(b, a.ID()) })
	a.Send(b.ID(), ChanConsensus, []byte("block"))
	select {
	case <-entered:
	case <-time.After(waitTimeout):
		t.Fatal("handler never called")
	}

	closed := make(chan struct{})
	go func() { b.Close(); close(closed) }()
	eventually(t, "the other side to see the disconnect", func() bool { return !hasPeer(a, b.ID()) })
	for range 20 { // the peer is still in the table: its reader is in the handler
		if b.Send(a.ID(), ChanConsensus, []byte("late")) {
			t.Fatal("Send succeeded to a closed peer")
		}
	}
	select {
	case <-closed:
		t.Fatal("Close returned while a handler call was still running")
	case <-time.After(100 * time.Millisecond):
	}
	unblock()
	select {
	case <-closed:
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not return after the handler did")
	}
}

// The consensus queue is bounded in bytes too: a peer that reads nothing
// is dropped once a few large frames wait for it, long before its queue
// is full in frames.
func TestQueueBytesBound(t *testing.T) {
	ka, ks := keyFromSeed(50), keyFromSeed(51)
	const limit = 4 << 20
	b, _ := newHost(t, Config{Key: ka, Listen: "127.0.0.1:0", QueueSize: 4096, QueueBytes: limit, WriteTimeout: time.Minute,
		Trusted: trustOnly(idOf(ks))}, nil)
	conn, err := rawDial(t, ks, b.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	eventually(t, "silent peer to connect", func() bool { return hasPeer(b, idOf(ks)) })
	p := peerOf(b, idOf(ks))

	// Loopback socket buffers take some megabytes before the writer
	// blocks; 64 frames is far past them and the bound, and far below
	// the 4,096 frames the queue would otherwise hold.
	big := pattern(1 << 20)
	sent := 0
	for ; sent < 64 && b.Send(idOf(ks), ChanConsensus, big); sent++ {
	}
	if sent >= 64 || !isClosed(p) {
		t.Fatalf("a silent peer took %d one-megabyte frames (closed %v); the byte bound is %d", sent, isClosed(p), limit)
	}
	if q := p.outBytes.Load(); q > limit {
		t.Fatalf("%d bytes queued past the bound %d", q, limit)
	}
}
