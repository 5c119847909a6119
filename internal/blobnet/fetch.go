package blobnet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
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
	manifestTimeout = 3 * time.Second
	chunkTimeout    = 15 * time.Second
	inFlight        = 8 // chunk requests outstanding per fetch
)

// Fetch makes the blob complete in the local store, asking peers for
// whatever is missing. It returns once every chunk is stored and checked.
func (n *Net) Fetch(ctx context.Context, w Want) error {
	bad := &badSet{m: map[p2p.NodeID]bool{}}
	if err := n.ensureManifest(ctx, w, bad); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			// Another manifest of the root may have replaced the wanted one
			// meanwhile (an upload of the same count of leaves).
			if err := n.ensureManifest(ctx, w, bad); err != nil {
				return err
			}
		}
		missing, err := n.store.Missing(w.Root)
		if err != nil {
			return err
		}
		if len(missing) == 0 {
			// Complete, but perhaps under another manifest of the root
			// than the one wanted (a truer one replaced it meanwhile).
			if m, err := n.store.Manifest(w.Root); err != nil || !m.Fits(w.Size, w.ChunkSize) {
				return fmt.Errorf("blob %x is held with another size than %d in chunks of %d: %w", w.Root[:8], w.Size, w.ChunkSize, ErrWrongSize)
			}
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

// ensureManifest makes the store hold a manifest that agrees with w. The
// store keys manifests by root alone, and the same root can be wanted with
// another size (a bogus submission, or a forged manifest that folds leaves
// into their parent): a stored manifest that disagrees with w is replaced
// if its blob is incomplete, and refused if it is complete, since complete
// chunks prove the size.
func (n *Net) ensureManifest(ctx context.Context, w Want, bad *badSet) error {
	m, err := n.store.Manifest(w.Root)
	if err != nil {
		// Peers drop requests when they are overloaded, so a round in
		// which nobody answered is tried again before giving up.
		for round := 0; ; round++ {
			err = n.fetchManifest(ctx, w, bad)
			if err == nil || !errors.Is(err, ErrUnavailable) || round == 2 || ctx.Err() != nil {
				return err
			}
		}
	}
	if m.Fits(w.Size, w.ChunkSize) {
		return nil
	}
	if missing, err := n.store.Missing(w.Root); err != nil {
		return err
	} else if len(missing) == 0 {
		return fmt.Errorf("blob %x is stored with size %d chunk %d, want size %d chunk %d: %w",
			w.Root[:8], m.Size, m.ChunkSize, w.Size, w.ChunkSize, ErrWrongSize)
	}
	return n.fetchManifest(ctx, w, bad)
}

// ErrWrongSize means the blob is held complete with another size or
// chunk size than the one wanted.
var ErrWrongSize = errors.New("blobnet: blob has another size")

// fetchManifest asks every peer at once and keeps the first manifest that
// checks out: a manifest is small, and waiting on peers one by one would
// put a round trip per peer that lacks the blob on every fetch.
func (n *Net) fetchManifest(ctx context.Context, w Want, bad *badSet) error {
	peers := n.tr.Peers()
	type answer struct {
		from p2p.NodeID
		r    reply
		err  error
	}
	answers := make(chan answer, len(peers))
	actx, cancel := context.WithCancel(ctx)
	defer cancel() // the slower askers stop waiting once one manifest is kept
	for _, p := range peers {
		go func() {
			r, err := n.ask(actx, p, message{Type: msgManifestReq, Root: w.Root}, manifestTimeout)
			answers <- answer{from: p, r: r, err: err}
		}()
	}
	for range peers {
		a := <-answers
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if a.err != nil || !a.r.found {
			continue
		}
		m, err := checkManifest(a.r.data, w)
		if errors.Is(err, errOtherShape) {
			// A sound manifest of the root, for another size: the peer
			// may hold the true blob while the size wanted is bogus (a
			// submission that lies about it). Not asked again, not blamed.
			bad.add(a.from)
			continue
		}
		if err != nil {
			bad.add(a.from)
			n.bad(a.from, "manifest: %v", err)
			continue
		}
		return n.store.PutReplicaManifest(m)
	}
	return fmt.Errorf("manifest of %x: %w", w.Root[:8], ErrUnavailable)
}

func checkManifest(b []byte, w Want) (*blob.Manifest, error) {
	m, err := blob.DecodeManifest(b)
	if err == nil {
		err = m.Check()
	}
	if err == nil && m.Root != w.Root {
		err = fmt.Errorf("manifest for %x, want %x", m.Root[:8], w.Root[:8])
	}
	if err == nil && !m.Fits(w.Size, w.ChunkSize) {
		err = fmt.Errorf("manifest of size %d chunk %d, want size %d chunk %d: %w", m.Size, m.ChunkSize, w.Size, w.ChunkSize, errOtherShape)
	}
	return m, err
}

// errOtherShape marks a sound manifest of the wanted root for another
// size or chunk size.
var errOtherShape = errors.New("another size")

// fetchChunks asks for each missing chunk, spreading the first requests
// over the peers that are not known bad. A chunk that a peer lacks, does
// not send in time or sends damaged is asked of the next peer, until each
// peer has been tried once; later rounds retry what is still missing.
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
	// Peers() comes from a map: sort it, so "the next peer" means the same
	// thing for every chunk.
	slices.SortFunc(peers, func(a, b p2p.NodeID) int { return bytes.Compare(a[:], b[:]) })
	sem := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	var local localErr
	for j, i := range missing {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return ctx.Err()
		}
		if err := local.get(); err != nil {
			wg.Wait()
			return err
		}
		wg.Add(1)
		go func(i uint64, first int) {
			defer func() { <-sem; wg.Done() }()
			for k := range peers {
				p := peers[(first+k)%len(peers)]
				if bad.has(p) {
					continue
				}
				stored, err := n.fetchChunk(ctx, root, i, p, bad)
				if err != nil {
					local.set(err)
					return
				}
				if stored || ctx.Err() != nil {
					return
				}
			}
		}(i, j+round)
	}
	wg.Wait()
	if err := local.get(); err != nil {
		return err
	}
	return ctx.Err()
}

// localErr keeps the first error of this node's own store in a fetch: a
// full disk says nothing about whether peers hold the blob, and must not
// end as ErrUnavailable, which a dispute over availability counts as a
// finding.
type localErr struct {
	mu  sync.Mutex
	err error
}

func (l *localErr) set(err error) {
	l.mu.Lock()
	if l.err == nil {
		l.err = err
	}
	l.mu.Unlock()
}

func (l *localErr) get() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// fetchChunk asks p for chunk i and reports whether it is now stored,
// or an error of this node's own store, which ends the fetch.
func (n *Net) fetchChunk(ctx context.Context, root blob.Hash, i uint64, p p2p.NodeID, bad *badSet) (bool, error) {
	r, err := n.ask(ctx, p, message{Type: msgChunkReq, Root: root, Index: i}, chunkTimeout)
	if err != nil || !r.found {
		return false, nil
	}
	if err := n.store.PutReplicaChunk(root, i, r.data); err != nil {
		if errors.Is(err, blob.ErrBadChunk) {
			bad.add(p)
			n.bad(p, "chunk %d of %x: %v", i, root[:8], err)
			return false, nil
		}
		if errors.Is(err, blob.ErrNotFound) || errors.Is(err, blob.ErrBadManifest) {
			return false, nil // the manifest changed under the fetch: the next attempt sees to it
		}
		return false, fmt.Errorf("storing chunk %d of %x: %w", i, root[:8], err)
	}
	return true, nil
}
