package blobnet

import (
	"fmt"
	"time"

	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/p2p"
)

// MaxPushBytes is the largest blob a node pushes to its peers as soon as a
// client has uploaded it. A small artifact costs its committee two round
// trips per member to fetch (manifest, then chunk) but only one frame to
// push, and the members check it at once; large blobs are still fetched on
// demand, chunk by chunk, by the members that need them.
const MaxPushBytes = 64 << 10

// pushQueue bounds pushed blobs waiting to be checked and stored; a full
// queue drops them, and the member fetches the blob when it needs it.
const pushQueue = 1024

// Push sends a fully stored single-chunk blob of at most MaxPushBytes to
// every peer. It never blocks: a peer whose queue is full misses it.
func (n *Net) Push(root blob.Hash) {
	m, err := n.store.Manifest(root)
	if err != nil || m.Count() != 1 || m.Size > MaxPushBytes {
		return
	}
	data, _, err := n.store.Chunk(root, 0)
	if err != nil {
		return
	}
	w := codec.NewWriter(len(data) + 128)
	w.VarBytes(m.Encode())
	w.VarBytes(data)
	frame := message{Type: msgPush, Root: root, Data: w.Bytes()}.encode()
	for _, p := range n.tr.Peers() {
		n.tr.Send(p, p2p.ChanBlob, frame)
	}
}

// acceptPush checks a pushed blob as a fetched one is checked (manifest
// consistent and for this root, chunk hashing to the manifest's) and
// stores it as a replica.
func (n *Net) acceptPush(from p2p.NodeID, msg message) {
	if _, err := n.store.Manifest(msg.Root); err == nil {
		return // already here
	}
	r := codec.NewReader(msg.Data)
	mb, chunk := r.VarBytes(MaxPushBytes), r.VarBytes(MaxPushBytes)
	if err := r.Finish(); err != nil {
		n.bad(from, "push of %x: %v", msg.Root[:8], err)
		return
	}
	m, err := blob.DecodeManifest(mb)
	if err == nil {
		err = m.Check()
	}
	if err == nil && (m.Root != msg.Root || m.Count() != 1 || m.Size > MaxPushBytes) {
		err = fmt.Errorf("manifest for %x with %d chunks of %d bytes", m.Root[:8], m.Count(), m.Size)
	}
	if err != nil {
		n.bad(from, "push of %x: manifest: %v", msg.Root[:8], err)
		return
	}
	// The chunk is checked against the manifest before the manifest is
	// kept, so a bad push leaves nothing behind.
	if len(chunk) != m.ChunkLen(0) || merkle.LeafHash(chunk) != m.Leaves[0] {
		n.bad(from, "push of %x: chunk does not match its manifest", msg.Root[:8])
		return
	}
	// Held to blobs.max_bytes like a client's upload: nothing on chain
	// asked for it yet, and a fetched replica (which a validator needs to
	// verify what it was asked to) may go past that limit, to the reserve.
	// Stored as a replica, pushes from a node that accepted a flood of
	// small uploads filled every peer's disk and left no room for those.
	if err := n.store.PutManifest(m); err != nil {
		return
	}
	if err := n.store.PutChunk(msg.Root, 0, chunk); err != nil {
		n.log.Warn("store pushed chunk", "root", fmt.Sprintf("%x", msg.Root[:8]), "err", err)
	}
}

// A peer's pushes are budgeted: each is a client's upload on every peer,
// charged to blobs.max_bytes, and one peer pushing 1-byte blobs filled
// every node's upload quota (and its disk with files). The budget refills
// at pushBytesPerMinute, up to one minute's worth, and each push costs at
// least pushMinCost, a file system block per file.
const (
	pushBytesPerMinute = 4 << 20
	pushMinCost        = 8 << 10
	maxPushPeers       = 1024 // budgets kept; past it, refilled ones are swept
)

type pushBudget struct {
	tokens float64
	at     time.Time
}

// pushAllowed charges a push of size bytes to from's budget.
func (n *Net) pushAllowed(from p2p.NodeID, size int) bool {
	now := time.Now()
	cost := float64(max(size, pushMinCost))
	n.mu.Lock()
	defer n.mu.Unlock()
	b := n.pushes[from]
	if b == nil {
		if len(n.pushes) >= maxPushPeers {
			for id, o := range n.pushes {
				if now.Sub(o.at) >= time.Minute {
					delete(n.pushes, id)
				}
			}
			if len(n.pushes) >= maxPushPeers {
				return false
			}
		}
		b = &pushBudget{tokens: pushBytesPerMinute, at: now}
		n.pushes[from] = b
	}
	b.tokens = min(pushBytesPerMinute, b.tokens+now.Sub(b.at).Minutes()*pushBytesPerMinute)
	b.at = now
	if b.tokens < cost {
		return false
	}
	b.tokens -= cost
	return true
}
