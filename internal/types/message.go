package types

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
)

// Kind tags each consensus message on the wire.
type Kind uint8

const (
	KindProposal Kind = iota + 1
	KindVote
	KindTimeout
	KindBlockRequest
	KindBlockResponse
	KindEpochRequest
	KindEpochProof
	KindCertified
	KindChainRequest
)

func (k Kind) String() string {
	switch k {
	case KindProposal:
		return "proposal"
	case KindVote:
		return "vote"
	case KindTimeout:
		return "timeout"
	case KindBlockRequest:
		return "block-request"
	case KindBlockResponse:
		return "block-response"
	case KindEpochRequest:
		return "epoch-request"
	case KindEpochProof:
		return "epoch-proof"
	case KindCertified:
		return "certified"
	case KindChainRequest:
		return "chain-request"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Message is any consensus message.
type Message interface {
	Kind() Kind
	encode(w *codec.Writer)
}

// Proposal is a leader's block for a round, with the TC that let it enter
// the round when the previous round timed out.
type Proposal struct {
	Block *Block
	TC    *TC
	Sig   []byte // proposer's signature over ProposalSigningBytes
}

// Vote is one validator's signature for a block in a round.
type Vote struct {
	Epoch   uint64
	Round   uint64
	BlockID Hash
	Voter   uint32
	Sig     []byte
}

// Timeout says the voter gave up on Round; it carries the voter's highest
// QC (so others can catch up and the next leader can extend it) and the TC
// of the previous round, if the voter entered Round through one.
type Timeout struct {
	Epoch  uint64
	Round  uint64
	HighQC *QC
	LastTC *TC
	Voter  uint32
	Sig    []byte
}

// BlockRequest asks a peer for the block with ID and up to Count-1 of its
// ancestors, newest first.
type BlockRequest struct {
	ID    Hash
	Count uint32
}

// ChainRequest asks a peer for its committed blocks from height From
// upward, up to Count of them. A node far behind climbs the committed
// chain this way: each answer hash-links to a block it holds, so it needs
// no parked blocks and no second fetch of any range. The answer is a
// BlockResponse, newest first, whose oldest block is at height From.
type ChainRequest struct {
	From  uint64
	Count uint32
}

// BlockResponse answers a BlockRequest or a ChainRequest.
type BlockResponse struct {
	Blocks []*Block
}

func (*Proposal) Kind() Kind      { return KindProposal }
func (*Vote) Kind() Kind          { return KindVote }
func (*Timeout) Kind() Kind       { return KindTimeout }
func (*EpochRequest) Kind() Kind  { return KindEpochRequest }
func (*EpochProof) Kind() Kind    { return KindEpochProof }
func (*BlockRequest) Kind() Kind  { return KindBlockRequest }
func (*BlockResponse) Kind() Kind { return KindBlockResponse }
func (*Certified) Kind() Kind     { return KindCertified }
func (*ChainRequest) Kind() Kind  { return KindChainRequest }

// Certified announces a QC the moment the leader that formed it has
// checked it, ahead of the proposal that will carry it. Validators check
// it while that leader is still building, signing and persisting the
// proposal, learn a commit that much sooner, and then find the proposal's
// QC already verified.
type Certified struct {
	QC *QC
}

func (c *Certified) encode(w *codec.Writer) {
	qc := c.QC
	if qc == nil {
		qc = &QC{} // decodes to a QC every core rejects
	}
	qc.encode(w)
}

// ProposalSigningBytes is what a proposer signs for block id in round.
func ProposalSigningBytes(chainID string, epoch, round uint64, id Hash) []byte {
	return SigningBytes(DomainProposal, chainID, epoch, func(w *codec.Writer) {
		w.U64(round)
		w.Fixed(id[:])
	})
}

// EpochRequest asks a peer that has moved past Epoch for the proof that
// ended it.
type EpochRequest struct {
	Epoch uint64
}

// EpochProof carries the QC, signed by the ending epoch's validators, whose
// two-chain commits the epoch's last block. A node still in that epoch
// needs only this QC: its core fetches whatever blocks it lacks and
// commits, and the state machine then names the next set.
type EpochProof struct {
	QC *QC
}

func (q *EpochRequest) encode(w *codec.Writer) { w.U64(q.Epoch) }
func (p *EpochProof) encode(w *codec.Writer) {
	qc := p.QC
	if qc == nil {
		qc = &QC{} // decodes to a QC every core rejects
	}
	qc.encode(w)
}

func (p *Proposal) encode(w *codec.Writer) {
	p.Block.encode(w)
	encodeOptTC(w, p.TC)
	w.VarBytes(p.Sig)
}

func (v *Vote) encode(w *codec.Writer) {
	w.U64(v.Epoch)
	w.U64(v.Round)
	w.Fixed(v.BlockID[:])
	w.U32(v.Voter)
	w.VarBytes(v.Sig)
}

func (t *Timeout) encode(w *codec.Writer) {
	w.U64(t.Epoch)
	w.U64(t.Round)
	t.HighQC.encode(w)
	encodeOptTC(w, t.LastTC)
	w.U32(t.Voter)
	w.VarBytes(t.Sig)
}

func (q *BlockRequest) encode(w *codec.Writer) {
	w.Fixed(q.ID[:])
	w.U32(q.Count)
}

func (q *ChainRequest) encode(w *codec.Writer) {
	w.U64(q.From)
	w.U32(q.Count)
}

func (s *BlockResponse) encode(w *codec.Writer) {
	w.U32(uint32(len(s.Blocks)))
	for _, b := range s.Blocks {
		b.encode(w)
	}
}

// MessageEpoch is the epoch a consensus message belongs to, for the kinds
// that carry one.
func MessageEpoch(m Message) (uint64, bool) {
	switch x := m.(type) {
	case *Proposal:
		return x.Block.Epoch, true
	case *Vote:
		return x.Epoch, true
	case *Timeout:
		return x.Epoch, true
	case *Certified:
		if x.QC != nil {
			return x.QC.Epoch, true
		}
	}
	return 0, false
}

// EncodeMessage returns version, kind and body.
func EncodeMessage(m Message) []byte {
	hint := 256
	switch x := m.(type) {
	case *Proposal:
		hint += x.Block.EncodedSize() // blocks run to megabytes: grow once, not twenty times
	case *BlockResponse:
		for _, b := range x.Blocks {
			hint += b.EncodedSize()
		}
	}
	w := codec.NewWriter(hint)
	w.U8(Version)
	w.U8(uint8(m.Kind()))
	m.encode(w)
	return w.Bytes()
}

// DecodeMessage parses one message. It rejects unknown versions and kinds,
// over-long lengths, malformed fields and trailing bytes; it does not check
// signatures.
func DecodeMessage(data []byte) (Message, error) {
	if len(data) > MaxMessageBytes {
		return nil, fmt.Errorf("message of %d bytes over limit %d: %w", len(data), MaxMessageBytes, codec.ErrTooLong)
	}
	r := codec.NewReader(data)
	r.Version(Version)
	kind := Kind(r.U8())
	var m Message
	switch kind {
	case KindProposal:
		p := &Proposal{Block: decodeBlock(r)}
		p.TC = decodeOptTC(r)
		p.Sig = r.VarBytes(MaxSignatureSize)
		m = p
	case KindVote:
		v := &Vote{Epoch: r.U64(), Round: r.U64()}
		copy(v.BlockID[:], r.Fixed(32))
		v.Voter = r.U32()
		v.Sig = r.VarBytes(MaxSignatureSize)
		m = v
	case KindTimeout:
		t := &Timeout{Epoch: r.U64(), Round: r.U64(), HighQC: decodeQC(r)}
		t.LastTC = decodeOptTC(r)
		t.Voter = r.U32()
		t.Sig = r.VarBytes(MaxSignatureSize)
		m = t
	case KindBlockRequest:
		q := &BlockRequest{}
		copy(q.ID[:], r.Fixed(32))
		q.Count = r.U32()
		m = q
	case KindChainRequest:
		m = &ChainRequest{From: r.U64(), Count: r.U32()}
	case KindBlockResponse:
		n := r.Count(MaxFetchBlocks, 8*3+32+1+4+4)
		s := &BlockResponse{Blocks: make([]*Block, 0, n)}
		for i := 0; i < n && r.Err() == nil; i++ {
			s.Blocks = append(s.Blocks, decodeBlock(r))
		}
		m = s
	case KindEpochRequest:
		m = &EpochRequest{Epoch: r.U64()}
	case KindEpochProof:
		m = &EpochProof{QC: decodeQC(r)}
	case KindCertified:
		m = &Certified{QC: decodeQC(r)}
	default:
		if r.Err() == nil {
			r.Fail(fmt.Errorf("message kind %d: %w", kind, codec.ErrInvalid))
		}
	}
	if err := r.Finish(); err != nil {
		return nil, fmt.Errorf("decode %s: %w", kind, err)
	}
	return m, nil
}
