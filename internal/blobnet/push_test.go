package blobnet

import (
	"bytes"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/p2p"
)

// recorder is a Transport that keeps what would be sent.
type recorder struct {
	peers  []p2p.NodeID
	frames [][]byte
}

func (r *recorder) Send(_ p2p.NodeID, _ p2p.Channel, payload []byte) bool {
	r.frames = append(r.frames, payload)
	return true
}
func (r *recorder) Peers() []p2p.NodeID { return r.peers }

// Only complete single-chunk blobs up to MaxPushBytes are pushed, one
// frame per peer.
func TestPushOnlySmallBlobs(t *testing.T) {
	store, err := blob.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name            string
		size, chunkSize int
		frames          int
	}{
		{"one small chunk", 3000, 4096, 2},
		{"exactly the limit", MaxPushBytes, MaxPushBytes, 2},
		{"two chunks", 8000, 4096, 0},
		{"one chunk over the limit", MaxPushBytes + 1, 1 << 20, 0},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := &recorder{peers: []p2p.NodeID{{1}, {2}}}
			n := New(store, tr, discard, nil)
			m, err := store.Put(bytes.NewReader(blobBytes(uint64(i), tc.size)), tc.chunkSize, 0)
			if err != nil {
				t.Fatal(err)
			}
			n.Push(m.Root)
			if len(tr.frames) != tc.frames {
				t.Fatalf("%d frames sent, want %d", len(tr.frames), tc.frames)
			}
		})
	}
}

// A pushed blob lands on every peer, checked; a push whose chunk does not
// match its manifest is refused, stores nothing and counts its sender as
// faulty.
func TestPushReachesPeers(t *testing.T) {
	nodes := startNet(t, 3, nil)
	a := nodes[0]
	data := blobBytes(blobSeed, 3000)
	m := a.put(t, data, 4096)
	a.net.Push(m.Root)
	for _, nd := range nodes[1:] {
		waitUntil(t, "pushed blob stored on "+nd.name, func() bool {
			missing, err := nd.store.Missing(m.Root)
			return err == nil && len(missing) == 0
		})
		nd.checkBlob(t, m.Root, data)
		nd.noFaults(t, a)
	}

	bad := blobBytes(blobSeed+1, 3000)
	bm := a.put(t, bad, 4096)
	w := codec.NewWriter(4096)
	w.VarBytes(bm.Encode())
	tampered := append([]byte(nil), bad...)
	tampered[10] ^= 1
	w.VarBytes(tampered)
	b := nodes[1]
	a.host.Send(b.host.ID(), p2p.ChanBlob, message{Type: msgPush, Root: bm.Root, Data: w.Bytes()}.encode())
	waitUntil(t, "bad push reported", func() bool { return len(b.faults.of(a.host.ID())) > 0 })
	if _, err := b.store.Manifest(bm.Root); err == nil {
		t.Fatal("a refused push left its manifest behind")
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(fetchTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, fetchTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Pushed blobs are held to blobs.max_bytes, as a client's uploads are:
// nothing on chain asked for them, and past that limit the room is kept
// for what a validator fetches to verify.
func TestPushesHeldToTheStoreLimit(t *testing.T) {
	src, err := blob.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dst, err := blob.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const limit = 32 << 10
	dst.SetLimits(limit, 0)
	n := New(dst, &recorder{}, discard, nil)
	stored := 0
	for i := range 40 {
		m, err := src.Put(bytes.NewReader(blobBytes(uint64(100+i), 3000)), 4096, 0)
		if err != nil {
			t.Fatal(err)
		}
		chunk, _, err := src.Chunk(m.Root, 0)
		if err != nil {
			t.Fatal(err)
		}
		w := codec.NewWriter(4096)
		w.VarBytes(m.Encode())
		w.VarBytes(chunk)
		n.acceptPush(p2p.NodeID{9}, message{Type: msgPush, Root: m.Root, Data: w.Bytes()})
		if missing, err := dst.Missing(m.Root); err == nil && len(missing) == 0 {
			stored++
		}
	}
	if dst.Used() > limit || stored == 0 || stored == 40 {
		t.Fatalf("%d of 40 pushes stored, %d bytes held, limit %d", stored, dst.Used(), limit)
	}
}
