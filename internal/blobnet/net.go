package blobnet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/p2p"
)

// Transport is what blobnet needs from the p2p host.
type Transport interface {
	Send(to p2p.NodeID, ch p2p.Channel, payload []byte) bool
	Peers() []p2p.NodeID
}

// Net serves and fetches blobs.
type Net struct {
	store   *blob.Store
	tr      Transport
	log     *slog.Logger
	faulty  func(p2p.NodeID, string)
	serveq  chan request
	pushq   chan request
	mu      sync.Mutex
	waiting map[key][]chan reply         // oldest first: one reply answers one request
	slots   map[p2p.NodeID]chan struct{} // requests in flight per peer
	queued  map[p2p.NodeID]int           // a peer's requests in serveq
	pushes  map[p2p.NodeID]*pushBudget
	// timeouts counts requests no answer came for: what a fetch waits out
	// when a reply goes astray, whatever the machine's speed.
	timeouts atomic.Int64
	pace     *p2p.Pacer // one warning a minute per misbehaving peer
}

// maxQueuedPerPeer bounds one peer's requests waiting in serveq: one
// flooding peer with cheap requests for megabyte chunks filled the queue,
// and an honest fetch from the same holder timed out. It is what an
// honest peer keeps in flight to one holder (perPeer): less, and its own
// requests were dropped.
const maxQueuedPerPeer = perPeer

// perPeer bounds the requests in flight to one peer. A peer answers on
// its bulk queue, which drops frames when full (64 frames), so asking one
// peer for more at once than fits would only turn answers into timeouts.
const perPeer = 16

func (n *Net) slot(p p2p.NodeID) chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	s, ok := n.slots[p]
	if !ok {
		s = make(chan struct{}, perPeer)
		n.slots[p] = s
	}
	return s
}

type key struct {
	root  blob.Hash
	index uint64 // ^0 for the manifest
	from  p2p.NodeID
}

type request struct {
	from p2p.NodeID
	msg  message
}

type reply struct {
	found bool
	data  []byte
}

const manifestIndex = ^uint64(0)

// New returns a Net over store. faulty is told about every peer that sent
// bytes that failed a check.
func New(store *blob.Store, tr Transport, log *slog.Logger, faulty func(p2p.NodeID, string)) *Net {
	return &Net{store: store, tr: tr, log: log, faulty: faulty, pace: p2p.NewPacer(time.Minute), serveq: make(chan request, 1024), pushq: make(chan request, pushQueue),
		waiting: map[key][]chan reply{}, slots: map[p2p.NodeID]chan struct{}{}, queued: map[p2p.NodeID]int{}, pushes: map[p2p.NodeID]*pushBudget{}}
}

// Run serves requests until ctx ends.
func (n *Net) Run(ctx context.Context, workers int) {
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case r := <-n.serveq:
					n.dequeued(r.from)
					n.serve(r)
				case r := <-n.pushq:
					n.acceptPush(r.from, r.msg)
				}
			}
		}()
	}
	wg.Wait()
}

// Handle takes one frame from a peer. It runs on the peer's reader
// goroutine, so it only decodes and hands off.
func (n *Net) Handle(from p2p.NodeID, payload []byte) error {
	m, err := decode(payload)
	if err != nil {
		return err
	}
	switch m.Type {
	case msgManifestReq, msgChunkReq:
		if len(m.Data) > 0 || !n.enqueue(from) {
			return nil // a request carries no data; past its share, dropped
		}
		select {
		case n.serveq <- request{from: from, msg: m}:
		default: // overloaded: the asker times out and tries another peer
			n.dequeued(from)
		}
	case msgPush:
		if len(m.Data) > 2*MaxPushBytes+64 || !n.pushAllowed(from, len(m.Data)) {
			return nil // larger than any push, or past the peer's budget
		}
		select {
		case n.pushq <- request{from: from, msg: m}:
		default: // overloaded: the blob is fetched when it is needed
		}
	default:
		idx := m.Index
		if m.Type == msgManifest || (m.Type == msgNotFound && m.Index == manifestIndex) {
			idx = manifestIndex
		}
		n.deliver(key{root: m.Root, index: idx, from: from}, reply{found: m.Type != msgNotFound, data: m.Data})
	}
	return nil
}

// enqueue takes a place in serveq's share of from; false past it.
func (n *Net) enqueue(from p2p.NodeID) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.queued[from] >= maxQueuedPerPeer {
		return false
	}
	n.queued[from]++
	return true
}

func (n *Net) dequeued(from p2p.NodeID) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.queued[from]--; n.queued[from] <= 0 {
		delete(n.queued, from)
	}
}

// deliver hands a reply to the oldest request waiting for it. Two fetches
// of one root (two artifacts or a job and a dispute) ask the same peer
// for the same chunk: a waiter per key let the second replace the first,
// whose answer then went to the second and which waited out its timeout.
func (n *Net) deliver(k key, r reply) {
	n.mu.Lock()
	var ch chan reply
	if ws := n.waiting[k]; len(ws) > 0 {
		ch = ws[0]
		if len(ws) == 1 {
			delete(n.waiting, k)
		} else {
			n.waiting[k] = ws[1:]
		}
	}
	n.mu.Unlock()
	if ch != nil {
		ch <- r // buffered: never blocks
	}
}

func (n *Net) serve(r request) {
	out := message{Root: r.msg.Root, Index: r.msg.Index}
	if r.msg.Type == msgManifestReq {
		out.Index = manifestIndex
		if m, err := n.store.Manifest(r.msg.Root); err == nil {
			out.Type, out.Data = msgManifest, m.Encode()
		} else {
			out.Type = msgNotFound
		}
	} else if data, err := n.store.ChunkData(r.msg.Root, r.msg.Index); err == nil {
		out.Type, out.Data = msgChunk, data
	} else {
		out.Type = msgNotFound
	}
	n.tr.Send(r.from, p2p.ChanBlob, out.encode())
}

// ask sends a request to one peer and waits for its answer.
func (n *Net) ask(ctx context.Context, to p2p.NodeID, m message, timeout time.Duration) (reply, error) {
	idx := m.Index
	if m.Type == msgManifestReq {
		idx = manifestIndex
	}
	k := key{root: m.Root, index: idx, from: to}
	slot := n.slot(to)
	select {
	case slot <- struct{}{}:
		defer func() { <-slot }()
	case <-ctx.Done():
		return reply{}, ctx.Err()
	}
	ch := make(chan reply, 1)
	n.mu.Lock()
	n.waiting[k] = append(n.waiting[k], ch)
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		ws := slices.DeleteFunc(n.waiting[k], func(c chan reply) bool { return c == ch })
		if len(ws) == 0 {
			delete(n.waiting, k)
		} else {
			n.waiting[k] = ws
		}
		n.mu.Unlock()
	}()
	if !n.tr.Send(to, p2p.ChanBlob, m.encode()) {
		return reply{}, errNoSend
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r, nil
	case <-t.C:
		n.timeouts.Add(1)
		return reply{}, errTimeout
	case <-ctx.Done():
		return reply{}, ctx.Err()
	}
}

var (
	errNoSend  = errors.New("blobnet: peer not connected or queue full")
	errTimeout = errors.New("blobnet: peer did not answer in time")
	// ErrUnavailable means no peer could supply the blob.
	ErrUnavailable = errors.New("blobnet: no peer has the blob")
)

func (n *Net) bad(from p2p.NodeID, format string, args ...any) {
	reason := fmt.Sprintf(format, args...)
	if n.pace.Due(from, time.Now()) { // counted every time, logged once a minute per peer
		n.log.Warn("peer sent bad blob data", "peer", from, "why", reason)
	}
	if n.faulty != nil {
		n.faulty(from, reason)
	}
}
