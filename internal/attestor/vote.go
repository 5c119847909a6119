package attestor

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
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
}

// Encode returns the wire form.
func (v Vote) Encode() []byte {
	w := codec.NewWriter(180)
	w.U8(1)
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
	r := codec.NewReader(b)
	r.Version(1)
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

type tallyKey struct {
	artifact types.Hash
	rotation uint64
	verdict  bool
	digest   types.Hash
}

func (v Vote) key() tallyKey {
	return tallyKey{artifact: v.Artifact, rotation: v.Rotation, verdict: v.Verdict, digest: v.Digest}
}
