package p2p

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"
)

const connected = "peer connected"

// checkWorks connects a fresh trusted host (key ka) to listening host b and
// passes a frame each way: b still serves real peers.
func checkWorks(t *testing.T, b *Host, bin inbox, seed byte) {
	t.Helper()
	k := keyFromSeed(seed)
	ain := make(inbox, 16)
	a, _ := newHost(t, Config{Key: k, Peers: []PeerAddr{{ID: b.ID(), Addr: b.Addr().String()}}, DialAll: true}, ain.handler)
	eventually(t, "real peer to connect", func() bool { return hasPeer(a, b.ID()) && hasPeer(b, a.ID()) })
	if !a.Send(b.ID(), ChanTxs, []byte("to b")) || !b.Send(a.ID(), ChanSync, []byte("to a")) {
		t.Fatal("send between connected hosts failed")
	}
	bin.expect(t, a.ID(), ChanTxs, "to b")
	ain.expect(t, b.ID(), ChanSync, "to a")
}

// An untrusted key dialling in is refused: the listener never registers
// it and nothing is delivered either way. (The dialler completes its side
// of TLS 1.3 before the server judges its certificate, so it may see the
// connection for an instant; it must then back off, not redial in a loop.)
func TestUntrustedInboundRefused(t *testing.T) {
	ka, kc := keyFromSeed(10), keyFromSeed(11)
	bin, cin := make(inbox, 16), make(inbox, 16)
	b, brec := newHost(t, Config{Key: keyFromSeed(12), Listen: "127.0.0.1:0", Trusted: trustOnly(idOf(ka))}, bin.handler)
	c, crec := newHost(t, Config{Key: kc, Peers: []PeerAddr{{ID: b.ID(), Addr: b.Addr().String()}}, DialAll: true}, cin.handler)

	end := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(end) {
		c.Send(b.ID(), ChanConsensus, []byte("let me in"))
		b.Broadcast(ChanConsensus, []byte("hello?"))
		if hasPeer(b, c.ID()) {
			t.Fatal("listener registered an untrusted key")
		}
		time.Sleep(2 * time.Millisecond)
	}
	if n := brec.count(connected, c.ID()); n != 0 {
		t.Fatalf("listener logged %d connections from the untrusted key", n)
	}
	bin.none(t, 50*time.Millisecond)
	cin.none(t, 50*time.Millisecond)
	// 1.5s of back-off from 100ms allows about 5 attempts.
	if n := crec.count(connected, b.ID()); n > 8 {
		t.Fatalf("refused dialler got %d handshakes in 1.5s: it redials without back-off", n)
	}
	checkWorks(t, b, bin, 10)
}

// A host does not complete a dial to a key it does not trust.
func TestUntrustedOutboundRefused(t *testing.T) {
	kb, kc := keyFromSeed(13), keyFromSeed(14)
	bin, cin := make(inbox, 16), make(inbox, 16)
	c, crec := newHost(t, Config{Key: kc, Listen: "127.0.0.1:0", Peers: []PeerAddr{{ID: idOf(kb)}}}, cin.handler)
	b, brec := newHost(t, Config{Key: kb, Peers: []PeerAddr{{ID: c.ID(), Addr: c.Addr().String()}}, DialAll: true,
		Trusted: trustOnly(idOf(keyFromSeed(15)))}, bin.handler)

	time.Sleep(time.Second)
	if len(b.Peers()) != 0 || len(c.Peers()) != 0 {
		t.Fatalf("peers: b %d, c %d; want none", len(b.Peers()), len(c.Peers()))
	}
	if brec.any(connected) != 0 || crec.any(connected) != 0 {
		t.Fatal("a peer was registered")
	}
	if n := brec.count("p2p dial", c.ID()); n == 0 || n > 8 {
		t.Fatalf("%d failed dials in 1s; want some, with back-off", n)
	}
	bin.none(t, 50*time.Millisecond)
	cin.none(t, 50*time.Millisecond)
}

// A dialled address that answers with another (trusted) key is refused.
func TestDialWrongKeyRefused(t *testing.T) {
	ka, kb, kc := keyFromSeed(16), keyFromSeed(17), keyFromSeed(18)
	c, _ := newHost(t, Config{Key: kc, Listen: "127.0.0.1:0", Peers: []PeerAddr{{ID: idOf(kb)}}}, nil)
	// b expects a at c's address, and would accept either key.
	b, brec := newHost(t, Config{Key: kb, Peers: []PeerAddr{{ID: idOf(ka), Addr: c.Addr().String()}}, DialAll: true,
		Trusted: trustOnly(idOf(ka), idOf(kc))}, nil)

	end := time.Now().Add(time.Second)
	for time.Now().Before(end) {
		if len(b.Peers()) != 0 {
			t.Fatalf("dialler registered %v", b.Peers())
		}
		time.Sleep(2 * time.Millisecond)
	}
	if brec.any(connected) != 0 {
		t.Fatal("dialler logged a connection")
	}
	if n := brec.count("p2p dial", idOf(ka)); n == 0 || n > 8 {
		t.Fatalf("%d refused dials in 1s; want some, with back-off", n)
	}
}

// Garbage instead of a TLS handshake is disconnected; a silent client is
// dropped by the handshake timeout; meanwhile real peers are served.
func TestGarbageClientDisconnected(t *testing.T) {
	bin := make(inbox, 16)
	b, brec := newHost(t, Config{Key: keyFromSeed(20), Listen: "127.0.0.1:0", Trusted: trustOnly(idOf(keyFromSeed(21)))}, bin.handler)

	silent, err := net.DialTimeout("tcp", b.Addr().String(), waitTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	for _, junk := range [][]byte{
		[]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		pattern(4096),
		{0x16, 0x03, 0x01, 0x00, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff}, // a TLS record with a bogus handshake message
	} {
		conn, err := net.DialTimeout("tcp", b.Addr().String(), waitTimeout)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.Write(junk)
		if !readsUntilClosed(conn, waitTimeout) {
			t.Fatalf("garbage %x... not disconnected", junk[:4])
		}
	}
	checkWorks(t, b, bin, 21)
	// The silent client holds nothing but its handshake timeout.
	if !readsUntilClosed(silent, 2*waitTimeout) {
		t.Fatal("silent client never disconnected")
	}
	if n := brec.any(connected); n != 1 {
		t.Fatalf("%d peers connected, want just the real one", n)
	}
}

// selfSigned makes a certificate for pub signed by key.
func selfSigned(t *testing.T, pub crypto.PublicKey, key crypto.Signer) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lazchain-node"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// rawServe accepts TLS connections presenting cert and reports each
// handshake's result; connections stay open until test end.
func rawServe(t *testing.T, cert tls.Certificate) (string, chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	conns := make(chan net.Conn, 64)
	t.Cleanup(func() {
		ln.Close()
		for {
			select {
			case c := <-conns:
				c.Close()
			default:
				return
			}
		}
	})
	cfg := tlsConfig(cert, func(NodeID) bool { return true })
	results := make(chan error, 64)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case conns <- conn:
			default:
				conn.Close()
			}
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			err = tls.Server(conn, cfg).HandshakeContext(ctx)
			cancel()
			select {
			case results <- err:
			default:
			}
		}
	}()
	return ln.Addr().String(), results
}

// Certificates a host must refuse even if it trusts every ed25519 key:
// other key types, and an ed25519 certificate whose private key the
// presenter does not hold.
func TestForeignCertificatesRefused(t *testing.T) {
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	victim, thief := keyFromSeed(30), keyFromSeed(31)
	victimCert, err := certificate(victim)
	if err != nil {
		t.Fatal(err)
	}
	certs := []struct {
		name string
		cert tls.Certificate
	}{
		{"ecdsa", tls.Certificate{Certificate: [][]byte{selfSigned(t, &ecKey.PublicKey, ecKey)}, PrivateKey: ecKey}},
		{"rsa", tls.Certificate{Certificate: [][]byte{selfSigned(t, &rsaKey.PublicKey, rsaKey)}, PrivateKey: rsaKey}},
		// The victim's genuine certificate, but the thief's key to sign the handshake.
		{"stolen cert", tls.Certificate{Certificate: victimCert.Certificate, PrivateKey: thief}},
		// A certificate naming the victim's key, signed by the thief.
		{"forged cert", tls.Certificate{Certificate: [][]byte{selfSigned(t, victim.Public(), thief)}, PrivateKey: thief}},
	}
	trustAll := func(NodeID) bool { return true }
	for _, c := range certs {
		t.Run(c.name+"/inbound", func(t *testing.T) {
			b, brec := newHost(t, Config{Key: keyFromSeed(32), Listen: "127.0.0.1:0", Trusted: trustAll}, nil)
			if tc, err := rawDialCert(t, c.cert, b.Addr().String()); err == nil {
				tc.Write(encodeFrame(ChanConsensus, []byte("hi")))
				if !readsUntilClosed(tc, waitTimeout) {
					t.Fatal("connection not closed")
				}
			}
			if brec.any(connected) != 0 || len(b.Peers()) != 0 {
				t.Fatal("host registered a peer")
			}
		})
		t.Run(c.name+"/outbound", func(t *testing.T) {
			addr, results := rawServe(t, c.cert)
			b, brec := newHost(t, Config{Key: keyFromSeed(33), Peers: []PeerAddr{{ID: idOf(victim), Addr: addr}}, DialAll: true, Trusted: trustAll}, nil)
			select {
			case err := <-results:
				if err == nil {
					t.Fatal("handshake with the host succeeded")
				}
			case <-time.After(waitTimeout):
				t.Fatal("host never dialled")
			}
			if brec.any(connected) != 0 || len(b.Peers()) != 0 {
				t.Fatal("host registered a peer")
			}
		})
	}
}
