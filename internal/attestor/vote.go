package attestor

import (
	"crypto/sha256"
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/types"
)

// Vote is one member's signed verdict, sent to the other members.
type Vote struct {
	Artifact types.Hash
	Rotation uint64
	Verdict  bool
	Digest   types.Hash
	Seat     uint32 // index in the rotation's committee
	Sig      []byte
	Reason   string // why invalid; hashes to Digest

	// A batch vote signs the root over a whole batch's verdicts; Digest
	// then holds the root and Count the number of entries.
	Batch *idao.BatchKey
	Count uint32

	// Not on the wire: a vote taken before its subject was committed here
	// counts against its sender's budget until its tally is dropped.
	early bool
	from  p2p.NodeID
}

// subjectOf is the tally subject of a vote: the artifact, or the batch.
func (v Vote) subject() types.Hash {
	if v.Batch != nil {
		return batchID(*v.Batch)
	}
	return v.Artifact
}

func batchID(k idao.BatchKey) types.Hash {
	return sha256.Sum256(fmt.Appendf(nil, "lazchain/batch\x00%s\x00%d\x00%d", k.IDAO, k.Height, k.Part))
}

// Encode returns the wire form.
func (v Vote) Encode() []byte {
	w := codec.NewWriter(180)
	if v.Batch != nil {
		w.U8(msgBatchVote)
		w.VarBytes([]byte(v.Batch.IDAO))
		w.U64(v.Batch.Height)
		w.U32(v.Batch.Part)
		w.U64(v.Rotation)
		w.U32(v.Count)
		w.Fixed(v.Digest[:])
		w.U32(v.Seat)
		w.VarBytes(v.Sig)
		return w.Bytes()
	}
	w.U8(msgVote)
	w.Fixed(v.Artifact[:])
	w.U64(v.Rotation)
	w.Bool(v.Verdict)
	w.Fixed(v.Digest[:])
	w.U32(v.Seat)
	w.VarBytes(v.Sig)
	w.VarBytes([]byte(v.Reason))
	return w.Bytes()
}

// DecodeVote parses a vote from the wire.
func DecodeVote(b []byte) (Vote, error) {
	if len(b) > 0 && b[0] == msgBatchVote {
		return decodeBatchVote(b)
	}
	r := codec.NewReader(b)
	r.Version(msgVote)
	v := Vote{}
	copy(v.Artifact[:], r.Fixed(32))
	v.Rotation, v.Verdict = r.U64(), r.Bool()
	copy(v.Digest[:], r.Fixed(32))
	v.Seat = r.U32()
	v.Sig = append([]byte(nil), r.VarBytes(types.MaxSignatureSize)...)
	v.Reason = string(r.VarBytes(1024))
	if err := r.Finish(); err != nil {
		return Vote{}, fmt.Errorf("idao vote: %w", err)
	}
	return v, nil
}

func decodeBatchVote(b []byte) (Vote, error) {
	r := codec.NewReader(b)
	r.Version(msgBatchVote)
	k := idao.BatchKey{IDAO: string(r.VarBytes(idao.MaxNameLen)), Height: r.U64(), Part: r.U32()}
	v := Vote{Batch: &k, Rotation: r.U64(), Count: r.U32(), Verdict: true}
	copy(v.Digest[:], r.Fixed(32))
	v.Seat = r.U32()
	v.Sig = append([]byte(nil), r.VarBytes(types.MaxSignatureSize)...)
	if err := r.Finish(); err != nil {
		return Vote{}, fmt.Errorf("idao batch vote: %w", err)
	}
	if v.Count == 0 || v.Count > idao.MaxBatch {
		return Vote{}, fmt.Errorf("idao batch vote: %d entries", v.Count)
	}
	return v, nil
}

type tallyKey struct {
	artifact types.Hash
	rotation uint64
	verdict  bool
	digest   types.Hash
}

// seatKey names one seat's vote on one subject in one rotation.
type seatKey struct {
	subject  types.Hash
	rotation uint64
	seat     uint32
}

func (v Vote) key() tallyKey {
	return tallyKey{artifact: v.subject(), rotation: v.Rotation, verdict: v.Verdict, digest: v.Digest}
}
