package staking

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/types"
)

// Evidence kinds: what the two conflicting signatures are over.
const (
	EvidenceVote     uint8 = 1 // types.VoteSigningBytes
	EvidenceProposal uint8 = 2 // types.ProposalSigningBytes
)

// Evidence proves that the validator at index Signer of Epoch's set signed
// two different blocks in the same round.
type Evidence struct {
	Kind   uint8
	Epoch  uint64
	Round  uint64
	Signer uint32 // index in that epoch's active set
	BlockA types.Hash
	BlockB types.Hash
	SigA   []byte
	SigB   []byte
}

func (e Evidence) Encode() []byte {
	w := codec.NewWriter(1 + 1 + 8 + 8 + 4 + 64 + 4 + len(e.SigA) + 4 + len(e.SigB))
	w.U8(BodyVersion)
	w.U8(e.Kind)
	w.U64(e.Epoch)
	w.U64(e.Round)
	w.U32(e.Signer)
	w.Fixed(e.BlockA[:])
	w.Fixed(e.BlockB[:])
	w.VarBytes(e.SigA)
	w.VarBytes(e.SigB)
	return w.Bytes()
}

// DecodeEvidence parses what Evidence.Encode wrote. It rejects unknown
// kinds and wrong signature sizes; whether the signatures verify is Exec's
// to judge.
func DecodeEvidence(b []byte) (Evidence, error) {
	r := codec.NewReader(b)
	r.Version(BodyVersion)
	var e Evidence
	e.Kind = r.U8()
	if r.Err() == nil && e.Kind != EvidenceVote && e.Kind != EvidenceProposal {
		r.Fail(fmt.Errorf("evidence kind %d: %w", e.Kind, codec.ErrInvalid))
	}
	e.Epoch = r.U64()
	e.Round = r.U64()
	e.Signer = r.U32()
	copy(e.BlockA[:], r.Fixed(32))
	copy(e.BlockB[:], r.Fixed(32))
	e.SigA = clone(readExact(r, SigSize, "signature a"))
	e.SigB = clone(readExact(r, SigSize, "signature b"))
	if err := r.Finish(); err != nil {
		return Evidence{}, fmt.Errorf("decode evidence: %w", err)
	}
	return e, nil
}

// signingBytes returns what a signer signed for block in e's round.
func (e Evidence) signingBytes(chainID string, block types.Hash) []byte {
	if e.Kind == EvidenceProposal {
		return types.ProposalSigningBytes(chainID, e.Epoch, e.Round, block)
	}
	return types.VoteSigningBytes(chainID, e.Epoch, e.Round, block)
}
