package p2p

import (
	"crypto/ed25519"
	"log/slog"
	"os"
	"testing"
	"time"
)

type received struct {
	from NodeID
	ch   Channel
	data string
}

func keyFromSeed(b byte) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	seed[0] = b
	return ed25519.NewKeyFromSeed(seed)
}

// startPair connects two hosts over loopback TLS and returns them with the
// channel each delivers frames into.
func startPair(t *testing.T) (a, b *Host, ra, rb chan received) {
	t.Helper()
	ka, kb := keyFromSeed(1), keyFromSeed(2)
	ra, rb = make(chan received, 16), make(chan received, 16)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var err error
	b, err = New(Config{Key: kb, Listen: "127.0.0.1:0", Peers: []PeerAddr{{ID: IDOf(ka.Public().(ed25519.PublicKey))}}, Logger: log},
		func(from NodeID, ch Channel, p []byte) { rb <- received{from, ch, string(p)} })
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	a, err = New(Config{Key: ka, Peers: []PeerAddr{{ID: b.ID(), Addr: b.Addr().String()}}, DialAll: true, Logger: log},
		func(from NodeID, ch Channel, p []byte) { ra <- received{from, ch, string(p)} })
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b, ra, rb
}

func waitPeers(t *testing.T, h *Host, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(h.Peers()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("host %s has %d peers, want %d", h.ID().Short(), len(h.Peers()), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSendBothWays(t *testing.T) {
	a, b, ra, rb := startPair(t)
	waitPeers(t, a, 1)
	waitPeers(t, b, 1)
	if !a.Send(b.ID(), ChanConsensus, []byte("ping")) {
		t.Fatal("send to connected peer failed")
	}
	got := <-rb
	if got.from != a.ID() || got.ch != ChanConsensus || got.data != "ping" {
		t.Fatalf("b got %+v", got)
	}
	b.Broadcast(ChanTxs, []byte("pong"))
	if got := <-ra; got.from != b.ID() || got.ch != ChanTxs || got.data != "pong" {
		t.Fatalf("a got %+v", got)
	}
}
