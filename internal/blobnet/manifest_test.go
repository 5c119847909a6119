package blobnet

import (
	"bytes"
	"errors"
	"testing"

	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/p2p"
)

// nopTransport has no peers and sends nothing.
type nopTransport struct{}

func (nopTransport) Send(p2p.NodeID, p2p.Channel, []byte) bool { return false }
func (nopTransport) Peers() []p2p.NodeID                       { return nil }

// A node that already holds a blob must still hold a fetch to the size
// and chunk size it was asked for: the store keys manifests by root alone,
// and the same root can be submitted twice (to two iDAOs) with different
// claimed sizes. Answering "fetched" to both would let members' verdicts
// depend on what they happened to fetch first.
func TestFetchLocalManifestDisagrees(t *testing.T) {
	cases := []struct {
		name string
		want func(Want) Want
	}{
		{"size one more", func(w Want) Want { w.Size++; return w }},
		{"size one less", func(w Want) Want { w.Size--; return w }},
		{"twice the chunk size", func(w Want) Want { w.ChunkSize *= 2; return w }},
	}
	store, err := blob.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m, err := store.Put(bytes.NewReader(blobBytes(blobSeed+500, 300<<10)), bigChunk, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := New(store, nopTransport{}, discard, nil)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := tc.want(wantOf(m))
			if err := n.Fetch(t.Context(), w); err == nil {
				t.Fatalf("fetch of size %d chunk %d succeeded from a stored manifest of size %d chunk %d", w.Size, w.ChunkSize, m.Size, m.ChunkSize)
			}
		})
	}
}

// serveForged answers manifest requests with forge applied to the true
// manifest, and chunk requests honestly.
func serveForged(forge func(*blob.Manifest) *blob.Manifest) serveFunc {
	return func(nd *node, from p2p.NodeID, payload []byte) {
		req, err := decode(payload)
		if err != nil {
			return
		}
		if req.Type != msgManifestReq {
			nd.net.Handle(from, payload)
			return
		}
		m, err := nd.store.Manifest(req.Root)
		if err != nil {
			return
		}
		out := message{Type: msgManifest, Root: req.Root, Index: manifestIndex, Data: forge(m).Encode()}
		nd.host.Send(from, p2p.ChanBlob, out.encode())
	}
}

// forgeManifest serves a forgery of the true manifest: the last two
// leaves (of a power-of-two count) folded into their Merkle parent. It has
// the same root and passes Check for a size of one chunk less, but its
// last leaf is no chunk's hash, so no peer can ever supply that chunk.
var forgeManifest = serveForged(func(m *blob.Manifest) *blob.Manifest {
	k := len(m.Leaves) - 2
	leaves := append(append([]blob.Hash(nil), m.Leaves[:k]...), merkle.Root(m.Leaves[k:]))
	return &blob.Manifest{Root: m.Root, Size: int64(m.ChunkSize) * int64(k+1), ChunkSize: m.ChunkSize, Leaves: leaves}
})

// A bogus submission of a real root with a forged size must not stop the
// honest submission of the same root from being fetched later.
func TestFetchAfterForgedManifest(t *testing.T) {
	const chunk, count = 4096, 8
	nodes := startNet(t, 3, map[int]serveFunc{1: forgeManifest})
	a, b, c := nodes[0], nodes[1], nodes[2]
	data := blobBytes(blobSeed+600, chunk*count)
	m := a.put(t, data, chunk)
	b.put(t, data, chunk)

	forged := Want{Root: m.Root, Size: chunk * (count - 1), ChunkSize: chunk}
	if err := c.fetch(t, forged); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("fetch of the forged size returned %v, want ErrUnavailable", err)
	}
	if err := c.fetch(t, wantOf(m)); err != nil {
		t.Fatalf("fetch of the true size after the forged one: %v", err)
	}
	c.checkBlob(t, m.Root, data)
}
