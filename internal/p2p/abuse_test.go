package p2p

import (
	"crypto/ed25519"
	"encoding/binary"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Handshake slots are taken before anyone is identified: one machine
// holding silent TCP sockets (no key, no TLS), each reopened as it closes,
// took every slot and locked trusted validators out. Each source address
// now has a few slots at most.
func TestSilentSocketsDoNotLockOutPeers(t *testing.T) {
	kh, kv := keyFromSeed(90), keyFromSeed(91)
	h, _ := newHost(t, Config{Key: kh, Listen: "127.0.0.1:0", Trusted: trustOnly(idOf(kv))}, nil)
	addr := h.Addr().String()

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var opened atomic.Int64
	// 72 attacker sockets from one address: each opens a TCP connection,
	// says nothing, and reopens as soon as the host closes it.
	for i := 0; i < 72; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 3)}}
				c, err := d.Dial("tcp", addr)
				if err != nil {
					time.Sleep(5 * time.Millisecond)
					continue
				}
				opened.Add(1)
				readsUntilClosed(c, 10*time.Second)
				time.Sleep(20 * time.Millisecond)
				c.Close()
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)

	v, _ := newHost(t, Config{Key: kv, Peers: []PeerAddr{{ID: h.ID(), Addr: addr}}, DialAll: true,
		Trusted: trustOnly(h.ID())}, nil)
	locked := 15 * time.Second
	deadline := time.Now().Add(locked)
	for time.Now().Before(deadline) {
		if hasPeer(h, v.ID()) {
			t.Logf("validator got in after %v (attacker conns %d)", locked-time.Until(deadline), opened.Load())
			close(stop)
			wg.Wait()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	t.Fatalf("trusted validator locked out for %v by %d silent sockets from one address", locked, opened.Load())
}

// A peer that announces a maximal frame and sends only its first step
// holds about what it sent: the whole 17 MiB frame was allocated after the
// first 256 KiB, held for as long as the peer stayed connected.
func TestPartialFrameHoldsWhatArrived(t *testing.T) {
	h, _ := newHost(t, Config{Key: keyFromSeed(92), Listen: "127.0.0.1:0", Trusted: func(NodeID) bool { return true }}, nil)
	const conns = 16
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	sent := 0
	for i := 0; i < conns; i++ {
		c, err := rawDial(t, keyFromSeed(byte(100+i)), h.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		msg := make([]byte, 4+frameStep+1)
		binary.BigEndian.PutUint32(msg, MaxFrame+1)
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		sent += len(msg)
	}
	time.Sleep(500 * time.Millisecond)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("%d peers sent %d KiB in all; host heap in use grew by %d MiB (%.0fx)", conns, sent>>10, grew>>20, float64(grew)/float64(sent))
	if grew > int64(10*sent) { // 69 times before
		t.Fatalf("partial frames pin %d MiB for %d KiB received", grew>>20, sent>>10)
	}
}

// A validator that left the set is a full node and dials everyone: both
// were validators at start (DialAll false), the one with the larger key
// left, the smaller retired it, and the leaver, still not dialling smaller
// keys, never reconnected after a drop. (node.dialPeers calls SetDialAll.)
func TestLeaverRedialsAfterADrop(t *testing.T) {
	k1, k2 := keyFromSeed(93), keyFromSeed(94)
	small, big := k1, k2
	if idOf(k1).String() > idOf(k2).String() {
		small, big = k2, k1
	}
	all := func(NodeID) bool { return true }
	x, _ := newHost(t, Config{Key: small, Listen: "127.0.0.1:0", Trusted: all}, nil)
	y, _ := newHost(t, Config{Key: big, Listen: "127.0.0.1:0", Trusted: all}, nil)
	x.SetPeers([]PeerAddr{{ID: y.ID(), Addr: y.Addr().String()}})
	y.SetPeers([]PeerAddr{{ID: x.ID(), Addr: x.Addr().String()}})
	eventually(t, "connected", func() bool { return hasPeer(x, y.ID()) && hasPeer(y, x.ID()) })
	// Epoch switch: y left the set. x dials only the new set; y (now a full
	// node) still wants x, a validator.
	x.SetPeers(nil)
	y.SetDialAll(true)
	y.SetPeers([]PeerAddr{{ID: x.ID(), Addr: x.Addr().String()}})
	// A network blip.
	old := peerOf(y, x.ID())
	peerOf(x, y.ID()).close()
	eventually(t, "the leaver reconnects after a drop", func() bool {
		p := peerOf(y, x.ID())
		return p != nil && p != old
	})
}

// Trust is checked again once a connection is registered: a peer that
// left the set between its handshake's check and its registration missed
// the disconnection SetPeers makes, and stayed.
func TestTrustCheckedAgainOnRegistration(t *testing.T) {
	kx, ky := keyFromSeed(95), keyFromSeed(96)
	var checks atomic.Int32
	// Trusted once (the handshake), then no longer (the set changed).
	x, _ := newHost(t, Config{Key: kx, Listen: "127.0.0.1:0", Trusted: func(NodeID) bool { return checks.Add(1) == 1 }}, nil)
	y, _ := newHost(t, Config{Key: ky, Peers: []PeerAddr{{ID: x.ID(), Addr: x.Addr().String()}}, DialAll: true,
		Trusted: func(NodeID) bool { return true }}, nil)
	eventually(t, "x checked y twice", func() bool { return checks.Load() >= 2 })
	time.Sleep(200 * time.Millisecond)
	if hasPeer(x, y.ID()) {
		t.Fatal("a peer no longer trusted when it registered stayed connected")
	}
}

// A peer that is neither configured nor a validator gets a smaller send
// queue: up to MaxPeers of them, each reading just fast enough to keep
// its connection, could otherwise hold the full 256 MiB each.
func TestOutsidersGetSmallerQueues(t *testing.T) {
	kx, kv, ko := keyFromSeed(97), keyFromSeed(98), keyFromSeed(99)
	all := func(NodeID) bool { return true }
	x, _ := newHost(t, Config{Key: kx, Listen: "127.0.0.1:0", Trusted: all, Reserved: func(id NodeID) bool { return id == idOf(kv) }}, nil)
	for _, k := range []ed25519.PrivateKey{kv, ko} {
		newHost(t, Config{Key: k, Peers: []PeerAddr{{ID: x.ID(), Addr: x.Addr().String()}}, DialAll: true, Trusted: all}, nil)
	}
	eventually(t, "both connected", func() bool { return hasPeer(x, idOf(kv)) && hasPeer(x, idOf(ko)) })
	if got := peerOf(x, idOf(kv)).outMax; got != x.cfg.QueueBytes {
		t.Fatalf("a reserved peer's queue holds %d bytes, want %d", got, x.cfg.QueueBytes)
	}
	if got := peerOf(x, idOf(ko)).outMax; got != outsiderQueueBytes {
		t.Fatalf("an outsider's queue holds %d bytes, want %d", got, outsiderQueueBytes)
	}
}
