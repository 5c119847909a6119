package blobnet

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/p2p"
)

// Want describes the blob a fetch must produce: the manifest a peer
// offers must agree with the on-chain size and chunk size, not only with
// the root.
type Want struct {
	Root      blob.Hash
	Size      int64
	ChunkSize int
}

const (
	manifestTimeout = 5 * time.Second
	chunkTimeout    = 15 * time.Second
	inFlight        = 8 // chunk requests outstanding per fetch
)

// Fetch makes the blob complete in the local store, asking peers for
// whatever is missing. It returns once every chunk is stored and checked.
func (n *Net) Fetch(ctx context.Context, w Want) error {
	bad := &badSet{m: map[p2p.NodeID]bool{}}
	if _, err := n.store.Manifest(w.Root); err != nil {
		if err := n.fetchManifest(ctx, w, bad); err != nil {
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		missing, err := n.store.Missing(w.Root)
		if err != nil {
			return err
		}
		if len(missing) == 0 {
			return nil
		}
		if attempt == 3+len(n.tr.Peers()) {
			return fmt.Errorf("blob %x: %d chunks still missing: %w", w.Root[:8], len(missing), ErrUnavailable)
		}
		if err := n.fetchChunks(ctx, w.Root, missing, bad, attempt); err != nil {
			return err
		}
	}
}

type badSet struct {
	mu sync.Mutex
	m  map[p2p.NodeID]bool
}

func (b *badSet) add(id p2p.NodeID) { b.mu.Lock(); b.m[id] = true; b.mu.Unlock() }
func (b *badSet) has(id p2p.NodeID) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.m[id]
}

func (n *Net) fetchManifest(ctx context.Context, w Want, bad *badSet) error {
	for _, p := range n.tr.Peers() {
		r, err := n.ask(ctx, p, message{Type: msgManifestReq, Root: w.Root}, manifestTimeout)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil || !r.found {
			continue
		}
		m, err := blob.DecodeManifest(r.data)
		if err == nil {
			err = m.Check()
		}
		if err == nil && (m.Root != w.Root || m.Size != w.Size || m.ChunkSize != w.ChunkSize) {
			err = fmt.Errorf("manifest for %x size %d chunk %d, want %x size %d chunk %d", m.Root[:8], m.Size, m.ChunkSize, w.Root[:8], w.Size, w.ChunkSize)
		}
		if err != nil {
			bad.add(p)
			n.bad(p, "manifest: %v", err)
			continue
		}
		return n.store.PutManifest(m)
	}
	return fmt.Errorf("manifest of %x: %w", w.Root[:8], ErrUnavailable)
}

// fetchChunks asks for each missing chunk once, spreading the requests
// over the peers that are not known bad; each round shifts which peer
// gets which chunk, so a chunk one peer lacks is asked of another.
func (n *Net) fetchChunks(ctx context.Context, root blob.Hash, missing []uint64, bad *badSet, round int) error {
	var peers []p2p.NodeID
	for _, p := range n.tr.Peers() {
		if !bad.has(p) {
			peers = append(peers, p)
		}
	}
	if len(peers) == 0 {
		return fmt.Errorf("blob %x: %w", root[:8], ErrUnavailable)
	}
	sem := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	for j, i := range missing {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		wg.Add(1)
		go func(i uint64, p p2p.NodeID) {
			defer func() { <-sem; wg.Done() }()
			n.fetchChunk(ctx, root, i, p, bad)
		}(i, peers[(j+round)%len(peers)])
	}
	wg.Wait()
	return ctx.Err()
}

func (n *Net) fetchChunk(ctx context.Context, root blob.Hash, i uint64, p p2p.NodeID, bad *badSet) {
	r, err := n.ask(ctx, p, message{Type: msgChunkReq, Root: root, Index: i}, chunkTimeout)
	if err != nil || !r.found {
		return // the next round asks again, maybe another peer
	}
	if err := n.store.PutChunk(root, i, r.data); err != nil {
		if errors.Is(err, blob.ErrBadChunk) {
			bad.add(p)
			n.bad(p, "chunk %d of %x: %v", i, root[:8], err)
		}
	}
}
