package blobnet

import (
	"fmt"

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
