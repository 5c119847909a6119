package types

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
)

// Block is one proposal's content. Its id is the hash of its header, which
// commits to the payload through PayloadHash, so votes and QCs that name the
// id cover every transaction.
type Block struct {
	Epoch    uint64
	Round    uint64
	Height   uint64
	Parent   Hash
	QC       *QC // certifies Parent; the genesis block has none
	Proposer uint32
	State    StateRef // execution result the proposer vouches for
	Txs      []*Tx

	id Hash // cached; computed on construction or decode

	// raw is the encoding a decoded block arrived in, without the version
	// byte. Decoding is strict, so it is the canonical one, and a node
	// stores every block it receives: re-encoding a megabyte block cost a
	// millisecond or more on the synced write that a vote waits for. It
	// aliases the input, which the decoded transactions' fields hold on to
	// anyway, so it costs no memory.
	raw []byte
}

// NewBlock builds a block and computes its id.
func NewBlock(epoch, round, height uint64, qc *QC, proposer uint32, txs []*Tx) *Block {
	b := &Block{Epoch: epoch, Round: round, Height: height, QC: qc, Proposer: proposer, Txs: txs}
	if qc != nil {
		b.Parent = qc.BlockID
	}
	b.id = b.computeID()
	return b
}

// NewBlockWithState builds a block that vouches for an execution result.
func NewBlockWithState(epoch, round, height uint64, qc *QC, proposer uint32, state StateRef, txs []*Tx) *Block {
	b := &Block{Epoch: epoch, Round: round, Height: height, QC: qc, Proposer: proposer, State: state, Txs: txs}
	if qc != nil {
		b.Parent = qc.BlockID
	}
	b.id = b.computeID()
	return b
}

// GenesisBlock returns the round-0 block of an epoch; it is the same on
// every node because it depends only on chain id and epoch.
func GenesisBlock(chainID string, epoch uint64) *Block {
	seed := SigningBytes("lazchain/genesis/v1", chainID, epoch, func(*codec.Writer) {})
	b := &Block{Epoch: epoch, Parent: HashOf(seed)}
	b.id = b.computeID()
	return b
}

// EpochRoot returns the round-0 block that epoch starts from: it follows
// last, the block at height lastHeight that ended the previous epoch, so
// the hash chain runs unbroken across epochs. Every node derives the same
// root from committed data alone.
func EpochRoot(chainID string, epoch uint64, last Hash, lastHeight uint64) *Block {
	b := &Block{Epoch: epoch, Height: lastHeight, Parent: last}
	b.id = b.computeID()
	return b
}

// IsRoot reports whether b is an epoch's round-0 block (genesis or root).
func (b *Block) IsRoot() bool { return b.Round == 0 && b.QC == nil }

// ID returns the block id.
func (b *Block) ID() Hash { return b.id }

// PayloadHash commits to the transactions in order.
func (b *Block) PayloadHash() Hash {
	w := codec.NewWriter(32 * (len(b.Txs) + 1))
	w.U32(uint32(len(b.Txs)))
	for _, tx := range b.Txs {
		h := tx.Hash()
		w.Fixed(h[:])
	}
	return HashOf(w.Bytes())
}

func (b *Block) computeID() Hash {
	w := codec.NewWriter(256)
	w.U8(Version)
	b.encodeHeader(w)
	ph := b.PayloadHash()
	w.Fixed(ph[:])
	return HashOf(w.Bytes())
}

func (b *Block) encodeHeader(w *codec.Writer) {
	w.U64(b.Epoch)
	w.U64(b.Round)
	w.U64(b.Height)
	w.Fixed(b.Parent[:])
	w.Bool(b.QC != nil)
	if b.QC != nil {
		b.QC.encode(w)
	}
	w.U32(b.Proposer)
	b.State.encode(w)
}

func (b *Block) encode(w *codec.Writer) {
	if b.raw != nil {
		w.Fixed(b.raw)
		return
	}
	b.encodeHeader(w)
	w.U32(uint32(len(b.Txs)))
	for _, tx := range b.Txs {
		tx.encode(w)
	}
}

// EncodedSize bounds the length of b's encoding from above (header and QC
// at their largest), without encoding it.
func (b *Block) EncodedSize() int {
	n := 1 + 3*8 + 32 + 1 + 4 + 8 + 64 + 4 + 8 + 8 + 32 + 4 + (MaxValidators+7)/8 + 4 + MaxSignatureSize
	for _, tx := range b.Txs {
		n += tx.EncodedSize()
	}
	return n
}

// Encode returns the canonical encoding of b.
func (b *Block) Encode() []byte {
	if b.raw != nil {
		enc := make([]byte, 1+len(b.raw))
		enc[0] = Version
		copy(enc[1:], b.raw)
		return enc
	}
	w := codec.NewWriter(b.EncodedSize())
	w.U8(Version)
	b.encode(w)
	return w.Bytes()
}

// DecodeBlock parses a block and computes its id.
func DecodeBlock(data []byte) (*Block, error) {
	if len(data) > MaxBlockBytes {
		return nil, fmt.Errorf("block of %d bytes over limit %d: %w", len(data), MaxBlockBytes, codec.ErrTooLong)
	}
	r := codec.NewReader(data)
	r.Version(Version)
	b := decodeBlock(r)
	if err := r.Finish(); err != nil {
		return nil, fmt.Errorf("decode block: %w", err)
	}
	return b, nil
}

// minTxSize is the smallest encoded tx, used to bound claimed counts.
const minTxSize = 4 + 32 + 8 + 2 + 4 + 64

func decodeBlock(r *codec.Reader) *Block {
	start, pos := r.Remaining(), r.Pos()
	b := &Block{Epoch: r.U64(), Round: r.U64(), Height: r.U64()}
	copy(b.Parent[:], r.Fixed(32))
	if r.Bool() {
		b.QC = decodeQC(r)
	}
	b.Proposer = r.U32()
	b.State = decodeStateRef(r)
	n := r.Count(MaxTxsPerBlock, minTxSize)
	if n > 0 {
		b.Txs = make([]*Tx, n)
		for i := range b.Txs {
			b.Txs[i] = decodeTxBody(r)
		}
	}
	// A block inside a message obeys the same limit as one decoded alone
	// (whose encoding also has the version byte).
	if n := 1 + start - r.Remaining(); r.Err() == nil && n > MaxBlockBytes {
		r.Fail(fmt.Errorf("block of %d bytes over limit %d: %w", n, MaxBlockBytes, codec.ErrTooLong))
	}
	if r.Err() == nil {
		b.checkShape(r)
		b.id = b.computeID()
	}
	if r.Err() == nil {
		span := r.Span(pos)
		b.raw = span[:len(span):len(span)] // no room to append into the input
	}
	return b
}

// checkShape rejects blocks whose header contradicts itself, so that no
// later code has to.
func (b *Block) checkShape(r *codec.Reader) {
	switch {
	case b.QC == nil && (b.Round != 0 || b.Height != 0):
		r.Fail(fmt.Errorf("block round %d has no qc: %w", b.Round, codec.ErrInvalid))
	case b.QC != nil && b.QC.BlockID != b.Parent:
		r.Fail(fmt.Errorf("block parent %s but qc for %s: %w", b.Parent.Short(), b.QC.BlockID.Short(), codec.ErrInvalid))
	case b.QC != nil && (b.QC.Round >= b.Round || b.QC.Epoch != b.Epoch || b.Height == 0):
		r.Fail(fmt.Errorf("block round %d height %d with qc round %d: %w", b.Round, b.Height, b.QC.Round, codec.ErrInvalid))
	case b.State.Height >= b.Height && !b.State.IsZero():
		r.Fail(fmt.Errorf("block height %d vouches for execution at height %d: %w", b.Height, b.State.Height, codec.ErrInvalid))
	}
}
