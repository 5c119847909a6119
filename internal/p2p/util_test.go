package p2p

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"
)

// waitTimeout bounds every wait in these tests, so a failure cannot hang CI.
const waitTimeout = 5 * time.Second

func idOf(k ed25519.PrivateKey) NodeID { return IDOf(k.Public().(ed25519.PublicKey)) }

// logRec is a slog handler that records each message with its "peer"
// attribute, so tests can tell whether a peer was ever registered ("peer
// connected" is logged right after a peer enters the host's table).
type logRec struct {
	mu     sync.Mutex
	events []logEvent
}

type logEvent struct{ msg, peer string }

func (l *logRec) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRec) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRec) WithGroup(string) slog.Handler            { return l }

func (l *logRec) Handle(_ context.Context, r slog.Record) error {
	ev := logEvent{msg: r.Message}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "peer" {
			ev.peer = a.Value.String()
		}
		return true
	})
	l.mu.Lock()
	l.events = append(l.events, ev)
	l.mu.Unlock()
	return nil
}

// any is how many times msg was logged, about any peer.
func (l *logRec) any(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, ev := range l.events {
		if ev.msg == msg {
			n++
		}
	}
	return n
}

// count is how many times msg was logged about peer.
func (l *logRec) count(msg string, peer NodeID) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, ev := range l.events {
		if ev.msg == msg && ev.peer == peer.Short() {
			n++
		}
	}
	return n
}

// inbox collects the frames a host delivers.
type inbox chan received

func (in inbox) handler(from NodeID, ch Channel, p []byte) {
	select {
	case in <- received{from, ch, string(p)}:
	default: // a test that floods does not read; never block the reader
	}
}

// expect waits for the next frame and checks it.
func (in inbox) expect(t *testing.T, from NodeID, ch Channel, data string) {
	t.Helper()
	select {
	case got := <-in:
		if got.from != from || got.ch != ch || got.data != data {
			t.Fatalf("got frame %s/%d %q, want %s/%d %q", got.from.Short(), got.ch, got.data, from.Short(), ch, data)
		}
	case <-time.After(waitTimeout):
		t.Fatalf("frame %q from %s not delivered within %v", data, from.Short(), waitTimeout)
	}
}

// none asserts that no frame arrives for d.
func (in inbox) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case got := <-in:
		t.Fatalf("unexpected frame %s/%d %q", got.from.Short(), got.ch, got.data)
	case <-time.After(d):
	}
}

// newHost builds and starts a host with a recording logger; the caller
// fills cfg.Key and whatever else it needs. It is closed at test end.
func newHost(t *testing.T, cfg Config, handler Handler) (*Host, *logRec) {
	t.Helper()
	rec := &logRec{}
	cfg.Logger = slog.New(rec)
	if handler == nil {
		handler = func(NodeID, Channel, []byte) {}
	}
	h, err := New(cfg, handler)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h, rec
}

func trustOnly(ids ...NodeID) func(NodeID) bool {
	return func(id NodeID) bool {
		for _, x := range ids {
			if x == id {
				return true
			}
		}
		return false
	}
}

// hasPeer reports whether id is in h's peer table.
func hasPeer(h *Host, id NodeID) bool {
	for _, p := range h.Peers() {
		if p == id {
			return true
		}
	}
	return false
}

// eventually polls cond until it holds or waitTimeout passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", waitTimeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// peerOf returns h's live peer struct for id, or nil.
func peerOf(h *Host, id NodeID) *peer {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.peers[id]
}

// rawDial opens a TLS connection to addr presenting key, the way a Host
// would, but leaves reading and writing to the test. It trusts any ed25519
// key. The TCP socket is closed at test end.
func rawDial(t *testing.T, key ed25519.PrivateKey, addr string) (*tls.Conn, error) {
	t.Helper()
	cert, err := certificate(key)
	if err != nil {
		t.Fatal(err)
	}
	return rawDialCert(t, cert, addr)
}

func rawDialCert(t *testing.T, cert tls.Certificate, addr string) (*tls.Conn, error) {
	t.Helper()
	cfg := tlsConfig(cert, func(NodeID) bool { return true })
	tc, err := tls.DialWithDialer(&net.Dialer{Timeout: waitTimeout}, "tcp", addr, cfg)
	if err != nil {
		return nil, err
	}
	// Close the socket, not the TLS conn: a TLS close_notify to a peer that
	// does not read could block.
	t.Cleanup(func() { tc.NetConn().Close() })
	return tc, nil
}

// readsUntilClosed reports whether the remote end closes c within d; it
// discards whatever it reads.
func readsUntilClosed(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 4096)
	for {
		if _, err := c.Read(buf); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return false
			}
			return true
		}
	}
}
