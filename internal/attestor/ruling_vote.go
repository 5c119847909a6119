package attestor

import (
	"errors"
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// Message types on p2p.ChanIDAO: the first byte of every payload.
const (
	msgVote       = 1 // a member's vote on one artifact (Vote)
	msgBatchVote  = 2 // a member's vote on a batch (Vote with Batch set)
	msgRulingVote = 3 // an active validator's ruling on a dispute (RulingVote)
)

// RulingVote is one active validator's signed ruling on a dispute, sent to
// the other validators of the active set. Wire form:
//
//	u8 3 | dispute [32] | epoch u64 | signer u32 | for_challenger bool |
//	verdict bool | digest [32] | sig (u32 len, 1 to 48 bytes) |
//	reason (u32 len, at most idao.MaxText bytes)
//
// Integers are big-endian and bools one byte, 0 or 1. The signature is
// over idao.RulingSigningBytes(chain, dispute, for_challenger, verdict,
// digest, epoch). The reason is not signed: a valid verdict has none, an
// invalid one's must hash to the digest (verify.Invalid), and a vote that
// breaks either rule does not decode, so every vote has one encoding.
type RulingVote struct {
	Dispute       types.Hash
	Epoch         uint64
	Signer        uint32 // index in the epoch's active set
	ForChallenger bool
	Verdict       bool
	Digest        types.Hash
	Sig           []byte
	Reason        string

	// Not on the wire: a vote taken before its dispute was open here (or
	// its epoch began here) counts against its sender's budget until its
	// tally is dropped.
	early bool
	from  p2p.NodeID
}

// maxRulingVoteSize bounds an encoded ruling vote.
const maxRulingVoteSize = 1 + 32 + 8 + 4 + 1 + 1 + 32 + 4 + types.MaxSignatureSize + 4 + idao.MaxText

func (v RulingVote) choice() choice {
	return choice{ForChallenger: v.ForChallenger, Verdict: v.Verdict, Digest: v.Digest, Reason: v.Reason}
}

// Encode returns the wire form.
func (v RulingVote) Encode() []byte {
	w := codec.NewWriter(190 + len(v.Reason))
	w.U8(msgRulingVote)
	w.Fixed(v.Dispute[:])
	w.U64(v.Epoch)
	w.U32(v.Signer)
	w.Bool(v.ForChallenger)
	w.Bool(v.Verdict)
	w.Fixed(v.Digest[:])
	w.VarBytes(v.Sig)
	w.VarBytes([]byte(v.Reason))
	return w.Bytes()
}

var errRulingReason = errors.New("reason does not match the verdict and digest")

// DecodeRulingVote parses a ruling vote, refusing anything Encode would
// not have written.
func DecodeRulingVote(b []byte) (RulingVote, error) {
	if len(b) > maxRulingVoteSize {
		return RulingVote{}, fmt.Errorf("idao ruling vote: %d bytes, at most %d: %w", len(b), maxRulingVoteSize, codec.ErrTooLong)
	}
	r := codec.NewReader(b)
	r.Version(msgRulingVote)
	v := RulingVote{}
	copy(v.Dispute[:], r.Fixed(32))
	v.Epoch, v.Signer = r.U64(), r.U32()
	v.ForChallenger, v.Verdict = r.Bool(), r.Bool()
	copy(v.Digest[:], r.Fixed(32))
	v.Sig = append([]byte(nil), r.VarBytes(types.MaxSignatureSize)...)
	v.Reason = string(r.VarBytes(idao.MaxText))
	if err := r.Finish(); err != nil {
		return RulingVote{}, fmt.Errorf("idao ruling vote: %w", err)
	}
	if len(v.Sig) == 0 {
		return RulingVote{}, fmt.Errorf("idao ruling vote: no signature: %w", codec.ErrInvalid)
	}
	if !reasonFits(v.Verdict, v.Digest, v.Reason) {
		return RulingVote{}, fmt.Errorf("idao ruling vote: %w", errRulingReason)
	}
	return v, nil
}

// reasonFits is the chain's rule for an unsigned reason: none for a valid
// verdict, one that hashes to the digest for an invalid one.
func reasonFits(verdict bool, digest types.Hash, reason string) bool {
	if verdict {
		return reason == ""
	}
	return verify.Invalid("%s", reason).Digest == digest
}
