package blobnet

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/p2p"
)

// Offsets in an encoded message: type, root, index, data length, data.
const (
	offRoot  = 1
	offIndex = offRoot + 32
	offLen   = offIndex + 8
	offData  = offLen + 4
)

func sampleMessages() []message {
	root := blob.Hash{1, 2, 3, 31: 9}
	return []message{
		{Type: msgManifestReq, Root: root},
		{Type: msgManifest, Root: root, Index: manifestIndex, Data: []byte("manifest bytes")},
		{Type: msgChunkReq, Root: root, Index: 7},
		{Type: msgChunk, Root: root, Index: 7, Data: blobBytes(blobSeed+700, 1000)},
		{Type: msgNotFound, Root: root, Index: manifestIndex},
	}
}

func TestMessageRoundTrip(t *testing.T) {
	for _, m := range sampleMessages() {
		got, err := decode(m.encode())
		if err != nil {
			t.Fatalf("type %d: %v", m.Type, err)
		}
		if got.Type != m.Type || got.Root != m.Root || got.Index != m.Index || !bytes.Equal(got.Data, m.Data) {
			t.Fatalf("type %d: decoded %+v", m.Type, got)
		}
	}
}

func testNet(t testing.TB) *Net {
	store, err := blob.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return New(store, nopTransport{}, discard, nil)
}

// Handle rejects every malformed frame with an error, without panicking
// and without queueing or delivering anything.
func TestHandleMalformed(t *testing.T) {
	valid := message{Type: msgChunk, Root: blob.Hash{7}, Index: 3, Data: []byte("chunk")}.encode()
	edit := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(valid)) }
	withLen := func(n uint32) []byte {
		return edit(func(b []byte) []byte { binary.BigEndian.PutUint32(b[offLen:], n); return b })
	}
	withType := func(ty uint8) []byte { return edit(func(b []byte) []byte { b[0] = ty; return b }) }
	cases := []struct {
		name    string
		payload []byte
	}{
		{"empty", nil},
		{"type only", valid[:1]},
		{"root cut short", valid[:offRoot+20]},
		{"index cut short", valid[:offIndex+3]},
		{"no data length", valid[:offLen]},
		{"data length cut short", valid[:offLen+2]},
		{"data cut short", valid[:len(valid)-1]},
		{"trailing byte", append(bytes.Clone(valid), 0)},
		{"length one over the data", withLen(uint32(len(valid)-offData) + 1)},
		{"length one under the data", withLen(uint32(len(valid)-offData) - 1)},
		{"length over the limit", withLen(maxData + 1)},
		{"length max uint32", withLen(^uint32(0))},
		{"type zero", withType(0)},
		{"type after the last", withType(msgPush + 1)},
		{"type 255", withType(255)},
		{"request with trailing zeros", append(message{Type: msgChunkReq}.encode(), 0, 0, 0, 0)},
		{"garbage", blobBytes(blobSeed+800, 100)},
	}
	n := testNet(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := n.Handle(p2p.NodeID{1}, tc.payload); err == nil {
				t.Fatalf("Handle accepted % x", tc.payload)
			}
			if len(n.serveq) != 0 {
				t.Fatalf("a malformed frame was queued for serving")
			}
		})
	}
}

// Well-formed frames are accepted, including answers nobody waits for,
// which are dropped.
func TestHandleValid(t *testing.T) {
	n := testNet(t)
	for _, m := range sampleMessages() {
		if err := n.Handle(p2p.NodeID{1}, m.encode()); err != nil {
			t.Fatalf("type %d: %v", m.Type, err)
		}
	}
	if got := len(n.serveq); got != 2 {
		t.Fatalf("%d requests queued, want 2", got)
	}
}

// A flood of requests with no worker serving them fills the bounded queue
// and is dropped from then on: Handle never blocks the peer's reader. One
// peer fills only its share, so another's requests still get in.
func TestHandleFloodDropped(t *testing.T) {
	n := testNet(t)
	req := message{Type: msgChunkReq, Root: blob.Hash{1}}.encode()
	for i := 0; i < 10*cap(n.serveq); i++ {
		if err := n.Handle(p2p.NodeID{1}, req); err != nil {
			t.Fatal(err)
		}
	}
	if len(n.serveq) != maxQueuedPerPeer {
		t.Fatalf("one peer's flood queued %d requests, want its share of %d", len(n.serveq), maxQueuedPerPeer)
	}
	if err := n.Handle(p2p.NodeID{2}, req); err != nil || len(n.serveq) != maxQueuedPerPeer+1 {
		t.Fatalf("another peer's request: %v, %d queued", err, len(n.serveq))
	}
	for i := 0; i < 10*cap(n.serveq); i++ {
		var id p2p.NodeID
		id[0], id[1] = 3, byte(i)
		n.Handle(id, req)
	}
	if len(n.serveq) != cap(n.serveq) {
		t.Fatalf("queue holds %d of %d", len(n.serveq), cap(n.serveq))
	}
}

// decode accepts exactly the canonical encodings of valid messages, and
// Handle agrees with it.
func FuzzDecode(f *testing.F) {
	for _, m := range sampleMessages() {
		f.Add(m.encode())
	}
	f.Add([]byte{})
	f.Add([]byte{msgChunk})
	f.Add(blobBytes(blobSeed+900, offData))
	n := testNet(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decode(b)
		if herr := n.Handle(p2p.NodeID{2}, b); (herr == nil) != (err == nil) {
			t.Fatalf("decode error %v, Handle error %v", err, herr)
		}
		if err != nil {
			return
		}
		if m.Type < msgManifestReq || m.Type > msgPush {
			t.Fatalf("decoded unknown type %d", m.Type)
		}
		if len(m.Data) > maxData {
			t.Fatalf("decoded %d data bytes, limit %d", len(m.Data), maxData)
		}
		if !bytes.Equal(m.encode(), b) {
			t.Fatalf("% x decodes to %+v, which encodes differently", b, m)
		}
	})
}
