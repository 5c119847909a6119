package p2p

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"sync"
	"sync/atomic"
	"time"
)

// peer is one live connection: a reader that hands frames to the handler
// and a writer that drains two bounded queues. Consensus frames go first:
// behind megabytes of transaction gossip, a proposal or vote would arrive
// late enough to time rounds out just when the chain is busiest.
type peer struct {
	id       NodeID
	conn     *tls.Conn
	outbound bool        // this host dialled it
	out      chan []byte // consensus, sync, attestations
	bulk     chan []byte // transaction gossip: best effort
	done     chan struct{}
	once     sync.Once
	timeout  time.Duration
	dropped  atomic.Uint64  // gossip frames dropped on a full bulk queue
	total    *atomic.Uint64 // the host's count of the same, across peers
	// Bytes queued, against outMax and bulkQueueBytes: frames run from a
	// vote's hundred bytes to a 17 MiB block answer, so a bound in frames
	// alone bounds no memory.
	outBytes, bulkBytes atomic.Int64
	outMax              int64
}

// bulkQueue and bulkQueueBytes bound the gossip and chunk frames queued
// per peer: room for two of the largest chunks (16 MiB) and their
// framing, so a chunk answer is not dropped behind a little gossip.
const (
	bulkQueue      = 64
	bulkQueueBytes = 33 << 20
)

func (p *peer) close() {
	p.once.Do(func() {
		close(p.done)
		// Close the TCP connection under TLS: tls.Conn.Close first sends a
		// close_notify alert, which to a peer that stopped reading waits
		// out a 5 s write deadline, holding the peer in the table.
		p.conn.NetConn().Close()
	})
}

// enqueue never blocks the caller. A full consensus queue means the peer
// cannot keep up; it is disconnected (and will reconnect) rather than
// stall the node. A full gossip queue only loses the frame: the peer will
// get those transactions in blocks.
func (p *peer) enqueue(ch Channel, frame []byte) bool {
	// Check done first: a select with both cases ready picks at random, and
	// a closed peer with room in its queue would report success.
	select {
	case <-p.done:
		return false
	default:
	}
	// Gossip and attestations are best effort; consensus is not.
	// Attestations are tiny and gate admission on every peer, so they ride
	// the consensus queue, but a full queue drops them rather than the peer.
	// Chunks are large and retried by the fetcher, so they share the bulk
	// queue with gossip; committee votes are small, like attestations.
	bestEffort := ch == ChanTxs || ch == ChanAttest || ch == ChanBlob || ch == ChanIDAO
	q, queued, limit := p.out, &p.outBytes, p.outMax
	if ch == ChanTxs || ch == ChanBlob {
		q, queued, limit = p.bulk, &p.bulkBytes, bulkQueueBytes
	}
	// One frame always fits an empty queue, whatever its size.
	n := int64(len(frame))
	if after := queued.Add(n); after <= limit || after == n {
		select {
		case q <- frame:
			return true // the writer takes n off when it dequeues
		case <-p.done:
			queued.Add(-n)
			return false
		default:
		}
	}
	queued.Add(-n)
	// Full, in frames or in bytes.
	if bestEffort {
		p.dropped.Add(1)
		p.total.Add(1)
		return false
	}
	p.close()
	return false
}

// outsiderQueueBytes bounds the consensus queue of a peer that is neither
// configured nor a validator (they sync: answers of up to the message
// limit, one of which always fits an empty queue).
const outsiderQueueBytes = 32 << 20

// run serves a handshaken connection until it fails or the host closes.
// A new connection from the same peer replaces the old one (the peer
// restarted, or lost the old one first), except that when both sides dial
// (a full node, or one that became a validator, dials everyone) the
// connection dialled by the smaller key is kept on both sides: replacing
// each other's, two dialling sides would cut every connection the other
// made, and the frames queued on it, for as long as they run.
func (h *Host) run(id NodeID, tc *tls.Conn, outbound bool) {
	reserved := h.cfg.Reserved(id) // the owner's state: not under h.mu
	outMax := h.cfg.QueueBytes
	if !reserved {
		// Up to MaxPeers outsiders, each reading just fast enough to keep
		// its connection, could otherwise hold the full queue each.
		outMax = min(outMax, outsiderQueueBytes)
	}
	p := &peer{id: id, conn: tc, outbound: outbound, total: &h.dropped, out: make(chan []byte, h.cfg.QueueSize), bulk: make(chan []byte, bulkQueue),
		outMax: outMax, done: make(chan struct{}), timeout: h.cfg.WriteTimeout}
	h.mu.Lock()
	if h.ctx.Err() != nil {
		h.mu.Unlock()
		tc.Close()
		return
	}
	if h.peers[id] == nil && !reserved && len(h.peers) >= h.cfg.MaxPeers {
		h.mu.Unlock()
		h.log.Debug("p2p connection refused: peer limit reached", "peer", id.Short(), "limit", h.cfg.MaxPeers)
		tc.Close()
		return
	}
	if old := h.peers[id]; old != nil {
		if h.preferred(id, old.outbound) && !h.preferred(id, outbound) {
			h.mu.Unlock()
			h.log.Debug("p2p duplicate connection closed; keeping the one the smaller key dialled", "peer", id.Short())
			tc.Close()
			return
		}
		old.close()
	}
	h.peers[id] = p
	h.mu.Unlock()
	if !h.cfg.Trusted(id) {
		// The handshake checked trust under the set it saw; a SetPeers
		// since (the peer left the set) checked only the peers registered
		// then, and this one would have stayed.
		h.log.Info("peer no longer trusted; disconnecting", "peer", id.Short())
		p.close()
	} else {
		h.log.Info("peer connected", "peer", id.Short(), "remote", tc.RemoteAddr())
	}

	go p.writeLoop()
	p.readLoop(h.handler)
	p.close()

	h.mu.Lock()
	if h.peers[id] == p {
		delete(h.peers, id)
	}
	h.mu.Unlock()
	h.log.Info("peer disconnected", "peer", id.Short())
}

// preferred reports whether a connection to id in the given direction is
// the one the smaller key dialled.
func (h *Host) preferred(id NodeID, outbound bool) bool {
	return outbound == (bytes.Compare(h.self[:], id[:]) < 0)
}

func (p *peer) readLoop(handle Handler) {
	r := bufio.NewReaderSize(p.conn, 64<<10)
	for {
		ch, payload, err := readFrame(r)
		if err != nil {
			return
		}
		handle(p.id, ch, payload)
	}
}

// writeLoop batches whatever is queued into one flush, so a burst of small
// messages costs one syscall. Between gossip frames it always drains the
// consensus queue first.
func (p *peer) writeLoop() {
	w := bufio.NewWriterSize(p.conn, 64<<10)
	// The deadline bounds each write, not the whole batch: under steady
	// load the queue may never drain, and a peer that keeps up must not be
	// dropped for it.
	write := func(f []byte) bool {
		p.conn.SetWriteDeadline(time.Now().Add(p.timeout))
		if _, err := w.Write(f); err != nil {
			p.close()
			return false
		}
		return true
	}
	for {
		var f []byte
		select {
		case <-p.done:
			return
		case f = <-p.out:
			p.outBytes.Add(-int64(len(f)))
		case f = <-p.bulk:
			p.bulkBytes.Add(-int64(len(f)))
		}
		if !write(f) {
			return
		}
		for more := true; more; {
			select {
			case f = <-p.out:
				p.outBytes.Add(-int64(len(f)))
			default:
				select {
				case f = <-p.out:
					p.outBytes.Add(-int64(len(f)))
				case f = <-p.bulk:
					p.bulkBytes.Add(-int64(len(f)))
				default:
					more = false
				}
			}
			if more && !write(f) {
				return
			}
		}
		p.conn.SetWriteDeadline(time.Now().Add(p.timeout))
		if err := w.Flush(); err != nil {
			p.close()
			return
		}
	}
}
