package blobnet

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/codec"
)

const (
	msgManifestReq = 1
	msgManifest    = 2
	msgChunkReq    = 3
	msgChunk       = 4
	msgNotFound    = 5
	msgPush        = 6 // a small blob, manifest and chunk, unasked
)

// message is every blobnet frame: which kind, for which blob and chunk,
// with the manifest or chunk bytes in Data.
type message struct {
	Type  uint8
	Root  blob.Hash
	Index uint64
	Data  []byte
}

// maxData bounds a message's data: a chunk at the largest chunk size, or
// a manifest of a blob at the largest size.
const maxData = 16 << 20

func (m message) encode() []byte {
	w := codec.NewWriter(48 + len(m.Data))
	w.U8(m.Type)
	w.Fixed(m.Root[:])
	w.U64(m.Index)
	w.VarBytes(m.Data)
	return w.Bytes()
}

func decode(b []byte) (message, error) {
	r := codec.NewReader(b)
	m := message{Type: r.U8()}
	copy(m.Root[:], r.Fixed(32))
	m.Index = r.U64()
	m.Data = r.VarBytes(maxData)
	if err := r.Finish(); err != nil {
		return message{}, fmt.Errorf("blobnet message: %w", err)
	}
	if m.Type < msgManifestReq || m.Type > msgPush {
		return message{}, fmt.Errorf("blobnet message: unknown type %d", m.Type)
	}
	return m, nil
}
