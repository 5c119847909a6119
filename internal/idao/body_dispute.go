package idao

import (
	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/types"
)

// Transaction kinds of disputes.
const (
	KindChallenge uint16 = 17
	KindRuling    uint16 = 18
)

// DomainRuling tags what validators sign for a ruling. It is framed by
// types.SigningBytes like the consensus messages the same BLS keys sign,
// and differs from all their tags, so a ruling signature is never a vote.
const DomainRuling = "lazchain/idao/ruling/v1"

// Challenge disputes an attested artifact's certificate during its
// challenge window. The bond must equal the iDAO policy's DisputeBond.
type Challenge struct {
	Artifact types.Hash
	Claim    Claim
	Bond     uint64
	Proof    *FraudProof // optional evidence for the escalation committee
	Note     string      // optional, at most MaxNote bytes
}

// Ruling settles a dispute. The escalation committee is the whole current
// validator set: more than two thirds of its stake sign
// RulingSigningBytes, after re-running the deterministic verifier.
type Ruling struct {
	Dispute       types.Hash
	ForChallenger bool
	Verdict       bool       // what the re-run gave
	Digest        types.Hash // what the re-run gave
	// Reason says why an invalid verdict is invalid; like an attestation's
	// it is not signed but must hash to the signed digest.
	Reason  string
	Epoch   uint64       // the current epoch: its active set signed
	Signers types.Bitmap // over ctx.Staking.Active()
	Sig     []byte       // aggregate BLS signature
}

// RulingSigningBytes is what a validator signs to rule on dispute id.
func RulingSigningBytes(chainID string, id types.Hash, forChallenger, verdict bool, digest types.Hash, epoch uint64) []byte {
	return types.SigningBytes(DomainRuling, chainID, epoch, func(w *codec.Writer) {
		w.Fixed(id[:])
		w.Bool(forChallenger)
		w.Bool(verdict)
		w.Fixed(digest[:])
	})
}

func (c Challenge) Encode() []byte {
	w := codec.NewWriter(96 + len(c.Note))
	w.U8(bodyVersion)
	w.Fixed(c.Artifact[:])
	w.U8(uint8(c.Claim))
	w.U64(c.Bond)
	encodeProof(w, c.Proof)
	w.VarBytes([]byte(c.Note))
	return w.Bytes()
}

// DecodeChallenge parses a challenge body. The claim is checked by the
// state machine, which says which claims there are.
func DecodeChallenge(b []byte) (Challenge, error) {
	r := codec.NewReader(b)
	r.Version(bodyVersion)
	c := Challenge{Artifact: hash(r), Claim: Claim(r.U8()), Bond: r.U64(), Proof: decodeProof(r)}
	c.Note = string(r.VarBytes(MaxNote))
	return c, finish(r, "challenge")
}

func (u Ruling) Encode() []byte {
	w := codec.NewWriter(256 + len(u.Reason))
	w.U8(bodyVersion)
	w.Fixed(u.Dispute[:])
	w.Bool(u.ForChallenger)
	w.Bool(u.Verdict)
	w.Fixed(u.Digest[:])
	w.VarBytes([]byte(u.Reason))
	w.U64(u.Epoch)
	w.VarBytes(u.Signers)
	w.VarBytes(u.Sig)
	return w.Bytes()
}

func DecodeRuling(b []byte) (Ruling, error) {
	r := codec.NewReader(b)
	r.Version(bodyVersion)
	u := Ruling{Dispute: hash(r), ForChallenger: r.Bool(), Verdict: r.Bool(), Digest: hash(r), Reason: string(r.VarBytes(MaxText)), Epoch: r.U64()}
	u.Signers = types.Bitmap(clone(r.VarBytes(maxSetBitmap)))
	u.Sig = clone(r.VarBytes(maxSigSize))
	return u, finish(r, "ruling")
}
