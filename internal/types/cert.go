package types

import (
	"fmt"
	"sort"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/crypto"
)

// QC is a quorum certificate: more than 2/3 of the epoch's stake voted for
// BlockID in Round. One aggregate signature plus the signer bitmap.
type QC struct {
	Epoch   uint64
	Round   uint64
	BlockID Hash
	Signers Bitmap
	Sig     []byte
}

// GenesisQC certifies the genesis block of an epoch by definition; it has
// no signers and is never checked against a set.
func GenesisQC(epoch uint64, genesis Hash) *QC {
	return &QC{Epoch: epoch, Round: 0, BlockID: genesis}
}

// IsGenesis reports whether q is the unsigned certificate of round 0.
func (q *QC) IsGenesis() bool { return q.Round == 0 && len(q.Sig) == 0 }

// VoteSigningBytes is what a vote for (round, block) signs.
func VoteSigningBytes(chainID string, epoch, round uint64, block Hash) []byte {
	return SigningBytes(DomainVote, chainID, epoch, func(w *codec.Writer) {
		w.U64(round)
		w.Fixed(block[:])
	})
}

// Verify checks q against the epoch's set. The genesis QC is accepted only
// if it names genesis.
func (q *QC) Verify(vs *ValidatorSet, genesis Hash) error {
	if q.Epoch != vs.Epoch {
		return fmt.Errorf("qc epoch %d, set epoch %d: %w", q.Epoch, vs.Epoch, ErrWrongEpoch)
	}
	if q.Round == 0 {
		if q.BlockID != genesis || len(q.Sig) != 0 || len(q.Signers) != 0 {
			return fmt.Errorf("round-0 qc is not the genesis qc: %w", ErrBadSignature)
		}
		return nil
	}
	msg := VoteSigningBytes(vs.ChainID, q.Epoch, q.Round, q.BlockID)
	if err := vs.VerifyAggregate(q.Signers, msg, q.Sig); err != nil {
		return fmt.Errorf("qc round %d: %w", q.Round, err)
	}
	return nil
}

func (q *QC) encode(w *codec.Writer) {
	w.U64(q.Epoch)
	w.U64(q.Round)
	w.Fixed(q.BlockID[:])
	w.VarBytes(q.Signers)
	w.VarBytes(q.Sig)
}

func decodeQC(r *codec.Reader) *QC {
	q := &QC{Epoch: r.U64(), Round: r.U64()}
	copy(q.BlockID[:], r.Fixed(32))
	q.Signers = Bitmap(r.VarBytes((MaxValidators + 7) / 8))
	q.Sig = r.VarBytes(MaxSignatureSize)
	return q
}

// TimeoutSigningBytes is what a timeout signs: the round given up on and the
// round of the signer's highest QC. Signing the QC round stops a leader from
// claiming a lower high QC than the quorum actually holds.
func TimeoutSigningBytes(chainID string, epoch, round, hqcRound uint64) []byte {
	return SigningBytes(DomainTimeout, chainID, epoch, func(w *codec.Writer) {
		w.U64(round)
		w.U64(hqcRound)
	})
}

// TC is a timeout certificate: more than 2/3 of stake gave up on Round.
// HQCRounds[j] is the high-QC round signed by the j-th marked signer.
type TC struct {
	Epoch     uint64
	Round     uint64
	Signers   Bitmap
	HQCRounds []uint64
	Sig       []byte
}

// MaxHQCRound is the highest QC round any signer reported; a proposal made
// on this TC must extend a QC at least this high.
func (t *TC) MaxHQCRound() uint64 {
	var m uint64
	for _, r := range t.HQCRounds {
		m = max(m, r)
	}
	return m
}

// Verify checks t against the epoch's set: signers carry a quorum, each
// reported high-QC round is below the TC's round, and the aggregate verifies
// with one message group per distinct reported round.
func (t *TC) Verify(vs *ValidatorSet) error {
	if t.Epoch != vs.Epoch {
		return fmt.Errorf("tc epoch %d, set epoch %d: %w", t.Epoch, vs.Epoch, ErrWrongEpoch)
	}
	if err := vs.checkSigners(t.Signers); err != nil {
		return fmt.Errorf("tc round %d: %w", t.Round, err)
	}
	idx := t.Signers.Indices()
	if len(idx) != len(t.HQCRounds) {
		return fmt.Errorf("tc round %d: %d signers but %d qc rounds: %w", t.Round, len(idx), len(t.HQCRounds), codec.ErrInvalid)
	}
	groups := map[uint64][]crypto.PublicKey{}
	for j, i := range idx {
		if t.HQCRounds[j] >= t.Round {
			return fmt.Errorf("tc round %d: signer %d reports qc round %d: %w", t.Round, i, t.HQCRounds[j], codec.ErrInvalid)
		}
		groups[t.HQCRounds[j]] = append(groups[t.HQCRounds[j]], vs.Validators[i].PubKey)
	}
	rounds := make([]uint64, 0, len(groups))
	for r := range groups {
		rounds = append(rounds, r)
	}
	sort.Slice(rounds, func(a, b int) bool { return rounds[a] < rounds[b] })
	pks := make([][]crypto.PublicKey, len(rounds))
	msgs := make([][]byte, len(rounds))
	for k, r := range rounds {
		pks[k] = groups[r]
		msgs[k] = TimeoutSigningBytes(vs.ChainID, t.Epoch, t.Round, r)
	}
	if !vs.Scheme.VerifyAggregateMulti(pks, msgs, t.Sig) {
		return fmt.Errorf("tc round %d: %w", t.Round, ErrBadSignature)
	}
	return nil
}

func (t *TC) encode(w *codec.Writer) {
	w.U64(t.Epoch)
	w.U64(t.Round)
	w.VarBytes(t.Signers)
	w.U32(uint32(len(t.HQCRounds)))
	for _, r := range t.HQCRounds {
		w.U64(r)
	}
	w.VarBytes(t.Sig)
}

func decodeTC(r *codec.Reader) *TC {
	t := &TC{Epoch: r.U64(), Round: r.U64()}
	t.Signers = Bitmap(r.VarBytes((MaxValidators + 7) / 8))
	n := r.Count(MaxValidators, 8)
	if n > 0 {
		t.HQCRounds = make([]uint64, n)
		for i := range t.HQCRounds {
			t.HQCRounds[i] = r.U64()
		}
	}
	t.Sig = r.VarBytes(MaxSignatureSize)
	return t
}

// encodeOptTC writes a presence byte, then t if present.
func encodeOptTC(w *codec.Writer, t *TC) {
	w.Bool(t != nil)
	if t != nil {
		t.encode(w)
	}
}

func decodeOptTC(r *codec.Reader) *TC {
	if !r.Bool() {
		return nil
	}
	return decodeTC(r)
}

// EncodeQC returns a standalone, versioned encoding of q.
func EncodeQC(q *QC) []byte {
	w := codec.NewWriter(160)
	w.U8(Version)
	q.encode(w)
	return w.Bytes()
}

// DecodeQC parses what EncodeQC wrote.
func DecodeQC(b []byte) (*QC, error) {
	r := codec.NewReader(b)
	r.Version(Version)
	q := decodeQC(r)
	if err := r.Finish(); err != nil {
		return nil, fmt.Errorf("decode qc: %w", err)
	}
	return q, nil
}

// EncodeTC returns a standalone, versioned encoding of t.
func EncodeTC(t *TC) []byte {
	w := codec.NewWriter(256)
	w.U8(Version)
	t.encode(w)
	return w.Bytes()
}

// DecodeTC parses what EncodeTC wrote.
func DecodeTC(b []byte) (*TC, error) {
	r := codec.NewReader(b)
	r.Version(Version)
	t := decodeTC(r)
	if err := r.Finish(); err != nil {
		return nil, fmt.Errorf("decode tc: %w", err)
	}
	return t, nil
}
