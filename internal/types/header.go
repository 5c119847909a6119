package types

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
)

// Header is a block without its transactions: what a light client or an
// auditor checks. Its ID equals the block's, because a block's id hashes
// its header fields and the payload hash, never the transactions.
type Header struct {
	Epoch, Round, Height uint64
	Parent               Hash
	QC                   *QC
	Proposer             uint32
	State                StateRef
	PayloadHash          Hash
}

// Header returns b's header.
func (b *Block) Header() *Header {
	return &Header{Epoch: b.Epoch, Round: b.Round, Height: b.Height, Parent: b.Parent, QC: b.QC,
		Proposer: b.Proposer, State: b.State, PayloadHash: b.PayloadHash()}
}

func (h *Header) block() *Block {
	return &Block{Epoch: h.Epoch, Round: h.Round, Height: h.Height, Parent: h.Parent, QC: h.QC, Proposer: h.Proposer, State: h.State}
}

// ID is the id of the header's block.
func (h *Header) ID() Hash {
	w := codec.NewWriter(256)
	w.U8(Version)
	h.block().encodeHeader(w)
	w.Fixed(h.PayloadHash[:])
	return HashOf(w.Bytes())
}

// EncodeHeader returns the canonical encoding of h.
func EncodeHeader(h *Header) []byte {
	w := codec.NewWriter(512)
	w.U8(Version)
	h.block().encodeHeader(w)
	w.Fixed(h.PayloadHash[:])
	return w.Bytes()
}

// DecodeHeader parses a header with the same checks as a block's.
func DecodeHeader(data []byte) (*Header, error) {
	r := codec.NewReader(data)
	r.Version(Version)
	b := &Block{Epoch: r.U64(), Round: r.U64(), Height: r.U64()}
	copy(b.Parent[:], r.Fixed(32))
	if r.Bool() {
		b.QC = decodeQC(r)
	}
	b.Proposer = r.U32()
	b.State = decodeStateRef(r)
	h := &Header{Epoch: b.Epoch, Round: b.Round, Height: b.Height, Parent: b.Parent, QC: b.QC, Proposer: b.Proposer, State: b.State}
	copy(h.PayloadHash[:], r.Fixed(32))
	if r.Err() == nil {
		b.checkShape(r)
	}
	if err := r.Finish(); err != nil {
		return nil, fmt.Errorf("decode header: %w", err)
	}
	return h, nil
}
