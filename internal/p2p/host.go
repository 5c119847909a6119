package p2p

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// PeerAddr is a peer to dial.
type PeerAddr struct {
	ID   NodeID
	Addr string
}

// Config of a Host.
type Config struct {
	Key    ed25519.PrivateKey
	Listen string // host:port; empty means no inbound connections
	Peers  []PeerAddr
	// Trusted decides who may connect; nil trusts exactly Peers.
	Trusted func(NodeID) bool
	// DialAll dials every peer. Otherwise, of two validators only the one
	// with the smaller key dials, so each pair has one connection.
	DialAll      bool
	QueueSize    int           // frames queued per peer before it is dropped
	QueueBytes   int64         // bytes queued per peer before it is dropped
	WriteTimeout time.Duration // a write stalled this long drops the peer
	// MaxPeers bounds the connected peers, but for Reserved ones (the
	// node's configured peers and validators), which a crowd of others
	// must not lock out. MaxHandshakes bounds inbound handshakes in
	// progress: each holds a socket for up to 5 s.
	MaxPeers      int
	MaxHandshakes int
	Reserved      func(NodeID) bool
	Logger        *slog.Logger
}

// Handler receives every frame, on the peer's reader goroutine. Blocking
// in it applies back-pressure to that peer only.
type Handler func(from NodeID, ch Channel, payload []byte)

// Host owns the listener and all peer connections.
type Host struct {
	dialWarn *Pacer
	cfg      Config
	self     NodeID
	tls      *tls.Config
	handler  Handler
	log      *slog.Logger

	mu      sync.Mutex
	peers   map[NodeID]*peer
	dialing map[NodeID]*target
	shaking chan struct{} // inbound handshakes in progress
	shakeMu sync.Mutex
	shakers map[string]int // inbound handshakes in progress by source (sourceOf)
	ln      net.Listener
	started bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	dropped atomic.Uint64 // best-effort frames dropped on full queues
}

// Dropped counts the best-effort frames (gossip, attestations, chunks)
// dropped so far because a peer's queue was full.
func (h *Host) Dropped() uint64 { return h.dropped.Load() }

// New builds a host; Start makes it listen and dial.
func New(cfg Config, handler Handler) (*Host, error) {
	if len(cfg.Key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("p2p: node key must be an ed25519 private key")
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 4096
	}
	if cfg.QueueBytes <= 0 {
		// Some 16 of the largest blocks: a peer that far behind catches
		// up faster by block sync after a reconnect.
		cfg.QueueBytes = 256 << 20
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.MaxPeers <= 0 {
		cfg.MaxPeers = 128
	}
	if cfg.MaxHandshakes <= 0 {
		cfg.MaxHandshakes = 64
	}
	if cfg.Reserved == nil {
		cfg.Reserved = func(NodeID) bool { return false }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &Host{dialWarn: NewPacer(time.Minute), cfg: cfg, self: IDOf(cfg.Key.Public().(ed25519.PublicKey)), handler: handler,
		log: cfg.Logger, peers: map[NodeID]*peer{}, dialing: map[NodeID]*target{},
		shaking: make(chan struct{}, max(1, cfg.MaxHandshakes)), shakers: map[string]int{}}
	if cfg.Trusted == nil {
		known := map[NodeID]bool{}
		for _, p := range cfg.Peers {
			known[p.ID] = true
		}
		h.cfg.Trusted = func(id NodeID) bool { return known[id] }
	}
	cert, err := certificate(cfg.Key)
	if err != nil {
		return nil, err
	}
	h.tls = tlsConfig(cert, func(id NodeID) bool { return id != h.self && h.cfg.Trusted(id) })
	h.ctx, h.cancel = context.WithCancel(context.Background())
	return h, nil
}

// ID returns this node's id.
func (h *Host) ID() NodeID { return h.self }

// Start listens (if configured) and starts dialling peers.
func (h *Host) Start() error {
	if h.cfg.Listen != "" {
		ln, err := net.Listen("tcp", h.cfg.Listen)
		if err != nil {
			return fmt.Errorf("p2p listen %s: %w", h.cfg.Listen, err)
		}
		h.ln = ln
		h.wg.Add(1)
		go h.acceptLoop()
	}
	h.mu.Lock()
	h.started = true
	h.mu.Unlock()
	for _, p := range h.cfg.Peers {
		h.AddPeer(p)
	}
	return nil
}

// AddPeer starts keeping a connection to p, unless the other side is the
// one to dial. A peer learnt later (a validator that joined in a new
// epoch) is added this way. For a peer dialled already, a new address is
// used from the next redial on: a live connection is kept.
func (h *Host) AddPeer(p PeerAddr) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if p.ID == h.self || p.Addr == "" || !(h.cfg.DialAll || bytes.Compare(h.self[:], p.ID[:]) < 0) {
		return
	}
	if !h.started || h.ctx.Err() != nil {
		return
	}
	if t := h.dialing[p.ID]; t != nil {
		if t.addr != p.Addr {
			h.log.Info("peer address changed", "peer", p.ID.Short(), "from", t.addr, "to", p.Addr)
			t.addr = p.Addr
		}
		t.retired = false
		return
	}
	h.dialing[p.ID] = &target{addr: p.Addr}
	h.wg.Add(1)
	go h.dialLoop(p.ID)
}

// SetDialAll sets whether this host dials every peer, from the next
// AddPeer or SetPeers on: a validator that left the set is a full node,
// which dials everyone (the validators with smaller keys no longer dial
// it, and without this it never reconnected to them after a drop).
func (h *Host) SetDialAll(all bool) {
	h.mu.Lock()
	h.cfg.DialAll = all
	h.mu.Unlock()
}

// SetPeers makes peers the set of peers this host dials: each is added
// (or its address updated), and every other dialled peer is no longer
// redialled once its connection ends. Connected peers that are no longer
// trusted (a validator that left the set, when only members may connect)
// are disconnected.
func (h *Host) SetPeers(peers []PeerAddr) {
	keep := make(map[NodeID]bool, len(peers))
	for _, p := range peers {
		h.AddPeer(p)
		keep[p.ID] = true
	}
	h.mu.Lock()
	for id, t := range h.dialing {
		t.retired = !keep[id]
	}
	connected := make([]*peer, 0, len(h.peers))
	for _, p := range h.peers {
		connected = append(connected, p)
	}
	h.mu.Unlock()
	// Trusted may consult the owner's state: never call it under h.mu.
	for _, p := range connected {
		if !h.cfg.Trusted(p.id) {
			h.log.Info("peer no longer trusted; disconnecting", "peer", p.id.Short())
			p.close()
		}
	}
}

// connected reports whether a connection to id is up.
func (h *Host) connected(id NodeID) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.peers[id] != nil
}

// target is a peer this host dials: where, and whether to stop once the
// current connection ends.
type target struct {
	addr    string // guarded by Host.mu
	retired bool   // guarded by Host.mu
}

// next returns the address to dial id at, or false once id is retired (and
// then forgets it, so that a later AddPeer starts a new loop).
func (h *Host) next(id NodeID) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t := h.dialing[id]
	if t == nil || t.retired {
		delete(h.dialing, id)
		return "", false
	}
	return t.addr, true
}

// Addr is the listening address, or nil.
func (h *Host) Addr() net.Addr {
	if h.ln == nil {
		return nil
	}
	return h.ln.Addr()
}

// Close disconnects everything and waits for the goroutines to end,
// including handler calls in progress: once it returns no handler runs, so
// a handler must not block indefinitely once its owner is shutting down.
func (h *Host) Close() {
	h.cancel()
	if h.ln != nil {
		h.ln.Close()
	}
	h.mu.Lock()
	for _, p := range h.peers {
		p.close()
	}
	h.mu.Unlock()
	h.wg.Wait()
}

// Peers returns the connected peers.
func (h *Host) Peers() []NodeID {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]NodeID, 0, len(h.peers))
	for id := range h.peers {
		out = append(out, id)
	}
	return out
}

// Send queues a frame for one peer. It never blocks: it reports false if
// the peer is not connected or the frame was dropped. A full consensus
// queue drops the peer; a full gossip queue drops the frame.
func (h *Host) Send(to NodeID, ch Channel, payload []byte) bool {
	if !h.fits(ch, payload) {
		return false
	}
	h.mu.Lock()
	p := h.peers[to]
	h.mu.Unlock()
	if p == nil {
		return false
	}
	return p.enqueue(ch, encodeFrame(ch, payload))
}

// fits refuses a payload over MaxFrame: the receiver would take it for a
// hostile peer and drop the connection, with everything queued on it. A
// caller that builds one has a bug; it is logged, not sent.
func (h *Host) fits(ch Channel, payload []byte) bool {
	if len(payload) <= MaxFrame {
		return true
	}
	h.log.Error("p2p: frame over the limit not sent", "channel", ch, "bytes", len(payload), "limit", MaxFrame)
	return false
}

// Broadcast queues a frame for every connected peer.
func (h *Host) Broadcast(ch Channel, payload []byte) {
	if !h.fits(ch, payload) {
		return
	}
	frame := encodeFrame(ch, payload)
	h.mu.Lock()
	ps := make([]*peer, 0, len(h.peers))
	for _, p := range h.peers {
		ps = append(ps, p)
	}
	h.mu.Unlock()
	for _, p := range ps {
		p.enqueue(ch, frame)
	}
}

func (h *Host) acceptLoop() {
	defer h.wg.Done()
	for {
		conn, err := h.ln.Accept()
		if err != nil {
			if h.ctx.Err() != nil {
				return
			}
			h.log.Warn("p2p accept", "err", err)
			time.Sleep(50 * time.Millisecond)
			continue
		}
		src := sourceOf(conn.RemoteAddr())
		if !h.startShake(src) {
			h.log.Debug("p2p inbound refused: too many handshakes in progress", "remote", conn.RemoteAddr())
			conn.Close()
			continue
		}
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			tc := tls.Server(conn, h.tls)
			id, err := h.handshake(tc)
			h.endShake(src)
			if err != nil {
				h.log.Debug("p2p inbound handshake", "remote", conn.RemoteAddr(), "err", err)
				conn.Close()
				return
			}
			h.run(id, tc, false)
		}()
	}
}

// maxShakesPerSource bounds the inbound handshakes one source address
// has in progress. Slots are taken before anyone is identified, so
// without it one machine holding silent sockets (each costs it nothing
// for the 5 s handshake timeout) kept every slot and locked the
// validators out.
const maxShakesPerSource = 4

// startShake takes a handshake slot for src, if both the host's and the
// source's bounds allow.
func (h *Host) startShake(src string) bool {
	h.shakeMu.Lock()
	defer h.shakeMu.Unlock()
	if h.shakers[src] >= maxShakesPerSource {
		return false
	}
	select {
	case h.shaking <- struct{}{}:
	default:
		return false
	}
	h.shakers[src]++
	return true
}

func (h *Host) endShake(src string) {
	h.shakeMu.Lock()
	defer h.shakeMu.Unlock()
	<-h.shaking
	if h.shakers[src]--; h.shakers[src] <= 0 {
		delete(h.shakers, src)
	}
}

// sourceOf names where a connection comes from for the per-source bound:
// its IPv4 address, or the /64 of an IPv6 one (a host's usual share).
func sourceOf(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if ip4 := tcp.IP.To4(); ip4 != nil {
		return ip4.String()
	}
	return tcp.IP.Mask(net.CIDRMask(64, 128)).String()
}

// dialLoop keeps one outbound connection to id, redialling with back-off,
// until the host closes or id is retired.
func (h *Host) dialLoop(id NodeID) {
	defer h.wg.Done()
	const minBackoff, maxBackoff = 100 * time.Millisecond, 2 * time.Second
	backoff := minBackoff
	for h.ctx.Err() == nil {
		addr, ok := h.next(id)
		if !ok {
			h.log.Debug("p2p dial stopped: peer retired", "peer", id.Short())
			return
		}
		if h.connected(id) {
			// It dialled us: one connection is enough.
			backoff = minBackoff
			select {
			case <-h.ctx.Done():
				return
			case <-time.After(5 * minBackoff):
			}
			continue
		}
		p := PeerAddr{ID: id, Addr: addr}
		got, tc, err := h.dial(p)
		if err == nil {
			start := time.Now()
			h.run(got, tc, true)
			if time.Since(start) >= maxBackoff || h.ctx.Err() != nil {
				backoff = minBackoff
				continue
			}
			// A connection that ends right after the handshake (say, TLS 1.3
			// let us finish before the peer refused our key) is a failure
			// too: redialling at once would spin.
			err = errShortLived
		}
		h.log.Debug("p2p dial", "peer", id.Short(), "addr", addr, "err", err)
		if h.dialWarn.Due(id, time.Now()) {
			// A validator or configured peer that cannot be reached is why
			// a node falls silent: say so, once a minute per peer.
			h.log.Warn("cannot reach peer", "peer", id.Short(), "addr", addr, "err", err)
		}
		select {
		case <-h.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

var errShortLived = errors.New("p2p: connection closed soon after the handshake")

func (h *Host) dial(p PeerAddr) (NodeID, *tls.Conn, error) {
	d := net.Dialer{Timeout: 3 * time.Second}
	conn, err := d.DialContext(h.ctx, "tcp", p.Addr)
	if err != nil {
		return NodeID{}, nil, err
	}
	tc := tls.Client(conn, h.tls)
	id, err := h.handshake(tc)
	if err != nil {
		conn.Close()
		return NodeID{}, nil, err
	}
	if id != p.ID {
		tc.Close()
		return NodeID{}, nil, fmt.Errorf("dialled %s but reached %s: %w", p.ID.Short(), id.Short(), errUntrusted)
	}
	return id, tc, nil
}

func (h *Host) handshake(tc *tls.Conn) (NodeID, error) {
	ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		return NodeID{}, err
	}
	certs := tc.ConnectionState().PeerCertificates
	raw := make([][]byte, len(certs))
	for i, c := range certs {
		raw[i] = c.Raw
	}
	return peerID(raw)
}
