package blobnet

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/p2p"
)

// These tests run real p2p hosts over TLS on 127.0.0.1, each node with its
// own blob store, its host routing p2p.ChanBlob frames to its Net.

const (
	// waitTimeout bounds waiting for the mesh to connect.
	waitTimeout = 10 * time.Second
	// fetchTimeout bounds one Fetch. Every assertion is about what Fetch
	// returned, never how long it took: a fetch cut off by this deadline
	// fails the test with a message saying so.
	fetchTimeout = 30 * time.Second

	bigSize   = 5<<20 + 123
	bigChunk  = 64 << 10
	blobSeed  = 0xb10b
	nodeSeed  = 0x5eed
	workers   = 2
	chunksDir = "chunks"
)

// node is one member of a test network.
type node struct {
	name   string
	dir    string
	host   *p2p.Host
	store  *blob.Store
	net    *Net
	faults *faultLog
	// beforeChunkReq, if set, runs once before the node's first chunk
	// request leaves (a test's hook into a fetch under way).
	beforeChunkReq atomic.Pointer[func()]
	hookOnce       sync.Once
}

// hookedTr is a node's transport with its beforeChunkReq hook.
type hookedTr struct {
	Transport
	nd *node
}

func (h hookedTr) Send(to p2p.NodeID, ch p2p.Channel, payload []byte) bool {
	if f := h.nd.beforeChunkReq.Load(); f != nil {
		if m, err := decode(payload); err == nil && m.Type == msgChunkReq {
			h.nd.hookOnce.Do(*f)
		}
	}
	return h.Transport.Send(to, ch, payload)
}

// faultLog records the faulty callback's calls.
type faultLog struct {
	mu sync.Mutex
	by map[p2p.NodeID][]string
}

func (f *faultLog) record(id p2p.NodeID, why string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.by[id] = append(f.by[id], why)
}

func (f *faultLog) of(id p2p.NodeID) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.by[id]...)
}

// serveFunc replaces a node's handling of blob frames: a hostile peer.
type serveFunc func(nd *node, from p2p.NodeID, payload []byte)

var discard = slog.New(slog.DiscardHandler)

func nodeKey(i int) ed25519.PrivateKey {
	seed := make([]byte, ed25519.SeedSize)
	binary.BigEndian.PutUint64(seed, nodeSeed)
	seed[ed25519.SeedSize-1] = byte(i)
	return ed25519.NewKeyFromSeed(seed)
}

// startNet starts n nodes named A, B, C, ... connected in a full mesh and
// waits until every host sees every other. hostile[i], if set, handles
// node i's blob frames instead of its Net. Everything stops at test end.
func startNet(t *testing.T, n int, hostile map[int]serveFunc) []*node {
	t.Helper()
	keys := make([]ed25519.PrivateKey, n)
	ids := make([]p2p.PeerAddr, n)
	for i := range keys {
		keys[i] = nodeKey(i)
		ids[i] = p2p.PeerAddr{ID: p2p.IDOf(keys[i].Public().(ed25519.PublicKey))}
	}
	nodes := make([]*node, n)
	for i := range nodes {
		nodes[i] = startNode(t, string(rune('A'+i)), keys[i], ids, hostile[i])
	}
	// Addresses are known only once every host listens: dial now. Of each
	// pair only the smaller key dials, so each pair has one connection.
	for _, nd := range nodes {
		for _, other := range nodes {
			if other != nd {
				nd.host.AddPeer(p2p.PeerAddr{ID: other.host.ID(), Addr: other.host.Addr().String()})
			}
		}
	}
	deadline := time.Now().Add(waitTimeout)
	for _, nd := range nodes {
		for len(nd.host.Peers()) < n-1 {
			if time.Now().After(deadline) {
				t.Fatalf("node %s has %d peers after %v, want %d", nd.name, len(nd.host.Peers()), waitTimeout, n-1)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nodes
}

func startNode(t *testing.T, name string, key ed25519.PrivateKey, all []p2p.PeerAddr, serve serveFunc) *node {
	t.Helper()
	nd := &node{name: name, dir: t.TempDir(), faults: &faultLog{by: map[p2p.NodeID][]string{}}}
	var err error
	if nd.store, err = blob.Open(nd.dir); err != nil {
		t.Fatal(err)
	}
	handler := func(from p2p.NodeID, ch p2p.Channel, payload []byte) {
		switch {
		case ch != p2p.ChanBlob:
		case serve != nil:
			serve(nd, from, payload)
		default:
			if err := nd.net.Handle(from, payload); err != nil {
				t.Errorf("node %s: frame from %s: %v", name, from.Short(), err)
			}
		}
	}
	self := p2p.IDOf(key.Public().(ed25519.PublicKey))
	var peers []p2p.PeerAddr // ids only: trusted, dialled once addresses are known
	for _, p := range all {
		if p.ID != self {
			peers = append(peers, p)
		}
	}
	nd.host, err = p2p.New(p2p.Config{Key: key, Listen: "127.0.0.1:0", Peers: peers, Logger: discard}, handler)
	if err != nil {
		t.Fatal(err)
	}
	nd.net = New(nd.store, hookedTr{Transport: nd.host, nd: nd}, discard, nd.faults.record)
	if err := nd.host.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nd.host.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); nd.net.Run(ctx, workers) }()
	t.Cleanup(func() { cancel(); <-done })
	return nd
}

// blobBytes is size bytes drawn from a fixed seed.
func blobBytes(seed uint64, size int) []byte {
	var s [32]byte
	binary.BigEndian.PutUint64(s[:], seed)
	b := make([]byte, size)
	rand.NewChaCha8(s).Read(b)
	return b
}

func (nd *node) put(t *testing.T, data []byte, chunkSize int) *blob.Manifest {
	t.Helper()
	m, err := nd.store.Put(bytes.NewReader(data), chunkSize, 0)
	if err != nil {
		t.Fatalf("node %s: put: %v", nd.name, err)
	}
	return m
}

// copyPart gives nd the manifest m and the chunks of it that keep selects,
// taken from src.
func (nd *node) copyPart(t *testing.T, src *node, m *blob.Manifest, keep func(i, count uint64) bool) {
	t.Helper()
	if err := nd.store.PutManifest(m); err != nil {
		t.Fatal(err)
	}
	for i := uint64(0); i < m.Count(); i++ {
		if !keep(i, m.Count()) {
			continue
		}
		data, _, err := src.store.Chunk(m.Root, i)
		if err == nil {
			err = nd.store.PutChunk(m.Root, i, data)
		}
		if err != nil {
			t.Fatalf("copy chunk %d to %s: %v", i, nd.name, err)
		}
	}
}

// fetch runs one bounded Fetch; a fetch cut off by the deadline fails the
// test, so callers only look at what Fetch decided.
func (nd *node) fetch(t *testing.T, w Want) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	defer cancel()
	err := nd.net.Fetch(ctx, w)
	if ctx.Err() != nil {
		t.Fatalf("node %s: fetch still running after %v (err %v)", nd.name, fetchTimeout, err)
	}
	return err
}

func wantOf(m *blob.Manifest) Want {
	return Want{Root: m.Root, Size: m.Size, ChunkSize: m.ChunkSize}
}

// checkBlob asserts that nd holds the whole blob and that it reads back
// as data.
func (nd *node) checkBlob(t *testing.T, root blob.Hash, data []byte) {
	t.Helper()
	if missing, err := nd.store.Missing(root); err != nil || len(missing) != 0 {
		t.Fatalf("node %s: %d chunks missing (err %v)", nd.name, len(missing), err)
	}
	r, _, err := nd.store.Reader(root)
	if err != nil {
		t.Fatalf("node %s: reader: %v", nd.name, err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("node %s: read back: %v", nd.name, err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("node %s: read back %d bytes that differ from the %d stored", nd.name, len(got), len(data))
	}
}

// chunkFiles lists nd's chunk files and fails if any holds bytes that do
// not hash to its name: the store must never keep an unchecked chunk.
func (nd *node) chunkFiles(t *testing.T) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(filepath.Join(nd.dir, chunksDir), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if h := merkle.LeafHash(data); hex.EncodeToString(h[:]) != d.Name() {
			t.Errorf("node %s: chunk file %s holds bytes hashing to %x", nd.name, d.Name(), h[:8])
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (nd *node) noFaults(t *testing.T, peers ...*node) {
	t.Helper()
	for _, p := range peers {
		if f := nd.faults.of(p.host.ID()); len(f) != 0 {
			t.Errorf("node %s reported honest %s as faulty: %q", nd.name, p.name, f)
		}
	}
}

// Only A holds the blob; C fetches it whole, with or without bystanders
// (connected nodes that hold nothing and answer "not found").
func TestFetchFromOneHolder(t *testing.T) {
	cases := []struct {
		name            string
		bystanders      int
		size, chunkSize int
	}{
		{"5MiB+123 in 64KiB chunks", 0, bigSize, bigChunk},
		{"5MiB+123 in 64KiB chunks, one bystander", 1, bigSize, bigChunk},
		{"one short chunk, one bystander", 1, 100, bigChunk},
		{"exact multiple, one bystander", 1, 16 * 4096, 4096},
		{"empty, one bystander", 1, 0, bigChunk},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.bystanders > 0 {
			}
			nodes := startNet(t, 2+tc.bystanders, nil)
			a, c := nodes[0], nodes[len(nodes)-1]
			data := blobBytes(blobSeed+uint64(i), tc.size)
			m := a.put(t, data, tc.chunkSize)
			if err := c.fetch(t, wantOf(m)); err != nil {
				t.Fatalf("fetch: %v", err)
			}
			c.checkBlob(t, m.Root, data)
			c.noFaults(t, nodes[:len(nodes)-1]...)
			if n := c.chunkFiles(t); n != int(m.Count()) {
				t.Errorf("C holds %d chunk files, want %d", n, m.Count())
			}
		})
	}
}

// A holds the whole blob; B holds the manifest and half of the chunks,
// chosen several ways. C fetches it whole from the two.
func TestFetchSpread(t *testing.T) {
	cases := []struct {
		name string
		keep func(i, count uint64) bool // which chunks B holds
	}{
		{"B has even chunks", func(i, _ uint64) bool { return i%2 == 0 }},
		{"B has odd chunks", func(i, _ uint64) bool { return i%2 == 1 }},
		{"B has the first half", func(i, n uint64) bool { return i < n/2 }},
		{"B has the second half", func(i, n uint64) bool { return i >= n/2 }},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nodes := startNet(t, 3, nil)
			a, b, c := nodes[0], nodes[1], nodes[2]
			data := blobBytes(blobSeed+100+uint64(i), bigSize)
			m := a.put(t, data, bigChunk)
			b.copyPart(t, a, m, tc.keep)
			if err := c.fetch(t, wantOf(m)); err != nil {
				t.Fatalf("fetch: %v", err)
			}
			c.checkBlob(t, m.Root, data)
			c.noFaults(t, a, b)
		})
	}
}

// damageFunc returns what a hostile peer sends instead of chunk i.
type damageFunc func(s *blob.Store, m *blob.Manifest, i uint64, data []byte) []byte

// corruptChunk answers every chunk request with a damaged copy of the
// chunk asked for; manifest requests get the honest answer.
func corruptChunk(damage damageFunc) serveFunc {
	return func(nd *node, from p2p.NodeID, payload []byte) {
		req, err := decode(payload)
		if err != nil {
			return
		}
		if req.Type != msgChunkReq {
			nd.net.Handle(from, payload)
			return
		}
		m, err := nd.store.Manifest(req.Root)
		if err != nil {
			return
		}
		data, _, err := nd.store.Chunk(req.Root, req.Index)
		if err != nil {
			return
		}
		out := message{Type: msgChunk, Root: req.Root, Index: req.Index, Data: damage(nd.store, m, req.Index, data)}
		nd.host.Send(from, p2p.ChanBlob, out.encode())
	}
}

// B serves damaged chunks. C still gets the blob from A, reports B and
// only B, and keeps no damaged chunk.
func TestFetchHostilePeer(t *testing.T) {
	cases := []struct {
		name   string
		damage damageFunc
	}{
		{"flipped bit", func(_ *blob.Store, _ *blob.Manifest, i uint64, d []byte) []byte {
			d = bytes.Clone(d)
			d[int(i)%len(d)] ^= 1 << (i % 8)
			return d
		}},
		{"truncated", func(_ *blob.Store, _ *blob.Manifest, _ uint64, d []byte) []byte { return d[:len(d)-1] }},
		{"extra byte", func(_ *blob.Store, _ *blob.Manifest, _ uint64, d []byte) []byte { return append(bytes.Clone(d), 0) }},
		{"empty", func(*blob.Store, *blob.Manifest, uint64, []byte) []byte { return nil }},
		{"another chunk's bytes", func(s *blob.Store, m *blob.Manifest, i uint64, d []byte) []byte {
			// A genuine chunk of the same blob, answered for the wrong index.
			other, _, _ := s.Chunk(m.Root, (i+1)%m.Count())
			return other
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nodes := startNet(t, 3, map[int]serveFunc{1: corruptChunk(tc.damage)})
			a, b, c := nodes[0], nodes[1], nodes[2]
			data := blobBytes(blobSeed+200, bigSize)
			m := a.put(t, data, bigChunk)
			b.copyPart(t, a, m, func(uint64, uint64) bool { return true })
			if err := c.fetch(t, wantOf(m)); err != nil {
				t.Fatalf("fetch: %v", err)
			}
			c.checkBlob(t, m.Root, data)
			if n := c.chunkFiles(t); n != int(m.Count()) {
				t.Errorf("C holds %d chunk files, want %d", n, m.Count())
			}
			if len(c.faults.of(b.host.ID())) == 0 {
				t.Error("B served damaged chunks but was never reported faulty")
			}
			c.noFaults(t, a)
		})
	}
}

// A offers the true manifest of the root C asks for, but C wants another
// size or chunk size: the fetch fails and C keeps nothing for that root.
func TestFetchManifestDisagrees(t *testing.T) {
	cases := []struct {
		name string
		want func(Want) Want
	}{
		{"size one more", func(w Want) Want { w.Size++; return w }},
		{"size one less", func(w Want) Want { w.Size--; return w }},
		{"size one chunk more", func(w Want) Want { w.Size += int64(w.ChunkSize); return w }},
		{"zero size", func(w Want) Want { w.Size = 0; return w }},
		{"half the chunk size", func(w Want) Want { w.ChunkSize /= 2; return w }},
		{"twice the chunk size", func(w Want) Want { w.ChunkSize *= 2; return w }},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nodes := startNet(t, 3, nil)
			a, b, c := nodes[0], nodes[1], nodes[2]
			m := a.put(t, blobBytes(blobSeed+300+uint64(i), bigSize), bigChunk)
			err := c.fetch(t, tc.want(wantOf(m)))
			if err == nil {
				t.Fatal("fetch of a blob whose manifest disagrees with the wanted size succeeded")
			}
			if !errors.Is(err, ErrUnavailable) && len(c.faults.of(a.host.ID())) == 0 {
				t.Fatalf("fetch failed with %v, neither ErrUnavailable nor a fault report about A", err)
			}
			c.noFaults(t, b)
			if _, err := c.store.Manifest(m.Root); !errors.Is(err, blob.ErrNotFound) {
				t.Errorf("C keeps a manifest for the root (err %v)", err)
			}
			if n := c.chunkFiles(t); n != 0 {
				t.Errorf("C keeps %d chunk files", n)
			}
		})
	}
}

// When no peer can supply the blob, Fetch says so with ErrUnavailable
// rather than running until its context ends.
func TestFetchUnavailable(t *testing.T) {
	cases := []struct {
		name  string
		nodes int
		setup func(t *testing.T, nodes []*node, m *blob.Manifest)
	}{
		{"no peer has it", 3, func(*testing.T, []*node, *blob.Manifest) {}},
		{"peers have only the manifest", 3, func(t *testing.T, nodes []*node, m *blob.Manifest) {
			for _, nd := range nodes[:2] {
				if err := nd.store.PutManifest(m); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"no peers", 1, func(*testing.T, []*node, *blob.Manifest) {}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			nodes := startNet(t, tc.nodes, nil)
			c := nodes[len(nodes)-1]
			// The blob lives in a store outside the network.
			other, err := blob.Open(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			m, err := other.Put(bytes.NewReader(blobBytes(blobSeed+400+uint64(i), 300<<10)), bigChunk, 0)
			if err != nil {
				t.Fatal(err)
			}
			tc.setup(t, nodes, m)
			if err := c.fetch(t, wantOf(m)); !errors.Is(err, ErrUnavailable) {
				t.Fatalf("fetch returned %v, want ErrUnavailable", err)
			}
			if n := c.chunkFiles(t); n != 0 {
				t.Errorf("C keeps %d chunk files", n)
			}
			c.noFaults(t, nodes[:len(nodes)-1]...)
		})
	}
}
