package p2p

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// NodeID is a node's ed25519 public key.
type NodeID [ed25519.PublicKeySize]byte

// IDOf returns the NodeID of a public key.
func IDOf(pub ed25519.PublicKey) NodeID {
	var id NodeID
	copy(id[:], pub)
	return id
}

func (id NodeID) String() string { return hex.EncodeToString(id[:]) }

// Short is the first 8 hex digits, for logs.
func (id NodeID) Short() string { return hex.EncodeToString(id[:4]) }

// ParseNodeID reads a hex node id.
func ParseNodeID(s string) (NodeID, error) {
	var id NodeID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(id) {
		return id, fmt.Errorf("node id %q: want %d hex bytes", s, len(id))
	}
	copy(id[:], b)
	return id, nil
}

// certificate makes a self-signed TLS certificate for the node key. Its
// only use is to carry the key through the handshake: peers check the key,
// never the certificate chain.
func certificate(key ed25519.PrivateKey) (tls.Certificate, error) {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "lazchain-node"},
		NotBefore:    time.Unix(0, 0),
		NotAfter:     time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("node certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

var errUntrusted = errors.New("p2p: peer key not trusted")

// peerID extracts the ed25519 key that the peer's certificate carries.
// The TLS handshake has already proven the peer holds its private half.
func peerID(rawCerts [][]byte) (NodeID, error) {
	if len(rawCerts) != 1 {
		return NodeID{}, fmt.Errorf("peer sent %d certificates, want 1: %w", len(rawCerts), errUntrusted)
	}
	cert, err := x509.ParseCertificate(rawCerts[0])
	if err != nil {
		return NodeID{}, fmt.Errorf("peer certificate: %w", err)
	}
	pub, ok := cert.PublicKey.(ed25519.PublicKey)
	if !ok {
		return NodeID{}, fmt.Errorf("peer key is %T, want ed25519: %w", cert.PublicKey, errUntrusted)
	}
	// Self-signed: the signature check proves the certificate was made with
	// the key it names (TLS proves possession separately).
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		return NodeID{}, fmt.Errorf("peer certificate signature: %w", err)
	}
	return IDOf(pub), nil
}

// tlsConfig builds a TLS 1.3 config that presents our key and accepts only
// peers whose key trusted() approves.
func tlsConfig(cert tls.Certificate, trusted func(NodeID) bool) *tls.Config {
	verify := func(raw [][]byte, _ [][]*x509.Certificate) error {
		id, err := peerID(raw)
		if err != nil {
			return err
		}
		if !trusted(id) {
			return fmt.Errorf("peer %s: %w", id.Short(), errUntrusted)
		}
		return nil
	}
	return &tls.Config{
		MinVersion:            tls.VersionTLS13,
		Certificates:          []tls.Certificate{cert},
		ClientAuth:            tls.RequireAnyClientCert,
		InsecureSkipVerify:    true, // chains are meaningless here; VerifyPeerCertificate pins the key
		VerifyPeerCertificate: verify,
		ServerName:            "lazchain-node",
		// A resumed session skips VerifyPeerCertificate: a peer trusted
		// once (a validator since gone) could come back on its ticket.
		SessionTicketsDisabled: true,
	}
}
