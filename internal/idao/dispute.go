package idao

import (
	"crypto/sha256"
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
)

// Claim is what a challenger says is wrong with a certificate.
type Claim uint8

const (
	ClaimWrongVerdict Claim = iota + 1 // the artifact is valid where the certificate says invalid, or the reverse
	ClaimWrongDigest                   // the result digest is not what the verifier computes
	ClaimUnavailable                   // the artifact's bytes cannot be fetched, so nobody could have verified them
	lastClaim         = ClaimUnavailable
)

func (c Claim) String() string {
	switch c {
	case ClaimWrongVerdict:
		return "wrong-verdict"
	case ClaimWrongDigest:
		return "wrong-digest"
	case ClaimUnavailable:
		return "unavailable"
	}
	return fmt.Sprintf("claim(%d)", uint8(c))
}

// Valid reports whether c is one of the defined claims.
func (c Claim) Valid() bool { return c >= ClaimWrongVerdict && c <= lastClaim }

// DisputeStatus is where a dispute is in its life.
type DisputeStatus uint8

const (
	DisputeOpen       DisputeStatus = iota + 1 // waiting for a ruling until its deadline
	DisputeUpheld                              // ruled for the challenger: the artifact was overturned
	DisputeRejected                            // ruled against the challenger: the bond went to the signers
	DisputeExpired                             // no ruling by the deadline: the bond was refunded
	DisputeSuperseded                          // another dispute overturned the artifact first: the bond was refunded
	lastDisputeStatus = DisputeSuperseded
)

func (s DisputeStatus) String() string {
	switch s {
	case DisputeOpen:
		return "open"
	case DisputeUpheld:
		return "upheld"
	case DisputeRejected:
		return "rejected"
	case DisputeExpired:
		return "expired"
	case DisputeSuperseded:
		return "superseded"
	}
	return fmt.Sprintf("dispute-status(%d)", uint8(s))
}

// Bounds of what a dispute carries.
const (
	MaxNote       = 256     // a challenger's note
	MaxProofChunk = 1 << 20 // a fraud proof's chunk; a transaction (types.MaxTxBytes) is smaller still
	maxProofPath  = 64      // a Merkle path: artifacts have at most 2^28 chunks
	// maxDisputes bounds an artifact's dispute list: one per claim, ever.
	maxDisputes = int(lastClaim)
	// maxSetBitmap bounds a bitmap over the validator set.
	maxSetBitmap = (types.MaxValidators + 7) / 8
)

// FraudProof is one chunk of an artifact with its Merkle audit path. It is
// evidence for the escalation committee; the chain only checks that the
// bytes really are part of the artifact.
type FraudProof struct {
	Index uint64       // chunk number
	Chunk []byte       // the chunk's bytes, exactly as long as that chunk
	Path  []types.Hash // deepest sibling first, as merkle.Prove gives it
}

// Judgment is the escalation committee's ruling as the chain recorded it.
type Judgment struct {
	ForChallenger bool
	Verdict       bool // what the committee's re-run of the verifier gave
	Digest        types.Hash
	Reason        string // for an invalid verdict; hashes to Digest
	Epoch         uint64 // whose validator set signed
	Signers       types.Bitmap
	Sig           []byte
	SignedPower   uint64
	TotalPower    uint64
	Slashed       uint64 // tokens taken from the wrong certificate's signers
	SlashedCount  uint32 // how many of them lost tokens
	Reward        uint64 // the part of Slashed paid to the challenger
}

// Dispute is the on-chain record of one challenge to a certificate.
type Dispute struct {
	ID         types.Hash
	Artifact   types.Hash
	IDAO       string
	Claim      Claim
	Challenger staking.Address
	Bond       uint64
	Opened     uint64 // height
	Deadline   uint64 // last height at which a ruling is accepted
	// The verdict and digest under dispute, as the certificate had them
	// when the dispute opened (an overturn replaces the artifact's).
	CertVerdict bool
	CertDigest  types.Hash
	Proof       *FraudProof // optional
	Note        string
	Status      DisputeStatus
	Closed      uint64    // height at which it stopped being open; 0 while open
	Ruling      *Judgment // set when ruled on
}

// DisputeID names the dispute over claim against artifact: there is at
// most one per pair, ever.
func DisputeID(artifact types.Hash, claim Claim) types.Hash {
	h := sha256.New()
	h.Write([]byte("lazchain/dispute/v1\x00"))
	h.Write(artifact[:])
	h.Write([]byte{byte(claim)})
	var id types.Hash
	h.Sum(id[:0])
	return id
}

const disputeVersion = 1

// Encode returns the canonical record.
func (d *Dispute) Encode() []byte {
	w := codec.NewWriter(320 + len(d.Note))
	w.U8(disputeVersion)
	w.Fixed(d.ID[:])
	w.Fixed(d.Artifact[:])
	w.VarBytes([]byte(d.IDAO))
	w.U8(uint8(d.Claim))
	w.Fixed(d.Challenger[:])
	w.U64(d.Bond)
	w.U64(d.Opened)
	w.U64(d.Deadline)
	w.Bool(d.CertVerdict)
	w.Fixed(d.CertDigest[:])
	encodeProof(w, d.Proof)
	w.VarBytes([]byte(d.Note))
	w.U8(uint8(d.Status))
	w.U64(d.Closed)
	w.Bool(d.Ruling != nil)
	if j := d.Ruling; j != nil {
		w.Bool(j.ForChallenger)
		w.Bool(j.Verdict)
		w.Fixed(j.Digest[:])
		w.VarBytes([]byte(j.Reason))
		w.U64(j.Epoch)
		w.VarBytes(j.Signers)
		w.VarBytes(j.Sig)
		w.U64(j.SignedPower)
		w.U64(j.TotalPower)
		w.U64(j.Slashed)
		w.U32(j.SlashedCount)
		w.U64(j.Reward)
	}
	return w.Bytes()
}

// DecodeDispute parses what Encode wrote and nothing else: unknown claims
// and statuses are refused, so every record has one encoding.
func DecodeDispute(b []byte) (*Dispute, error) {
	r := codec.NewReader(b)
	r.Version(disputeVersion)
	d := &Dispute{ID: hash(r), Artifact: hash(r), IDAO: string(r.VarBytes(MaxNameLen)), Claim: Claim(r.U8())}
	d.Challenger, d.Bond, d.Opened, d.Deadline = addr(r), r.U64(), r.U64(), r.U64()
	d.CertVerdict, d.CertDigest = r.Bool(), hash(r)
	d.Proof = decodeProof(r)
	d.Note = string(r.VarBytes(MaxNote))
	d.Status, d.Closed = DisputeStatus(r.U8()), r.U64()
	if r.Bool() {
		j := &Judgment{ForChallenger: r.Bool(), Verdict: r.Bool(), Digest: hash(r), Reason: string(r.VarBytes(MaxText)), Epoch: r.U64()}
		j.Signers = types.Bitmap(clone(r.VarBytes(maxSetBitmap)))
		j.Sig = clone(r.VarBytes(maxSigSize))
		j.SignedPower, j.TotalPower, j.Slashed, j.SlashedCount, j.Reward = r.U64(), r.U64(), r.U64(), r.U32(), r.U64()
		d.Ruling = j
	}
	if r.Err() == nil && (!d.Claim.Valid() || d.Status == 0 || d.Status > lastDisputeStatus) {
		r.Fail(fmt.Errorf("claim %d, status %d: %w", d.Claim, d.Status, codec.ErrInvalid))
	}
	if err := finish(r, "dispute record"); err != nil {
		return nil, err
	}
	return d, nil
}

func encodeProof(w *codec.Writer, p *FraudProof) {
	w.Bool(p != nil)
	if p == nil {
		return
	}
	w.U64(p.Index)
	w.VarBytes(p.Chunk)
	w.U32(uint32(len(p.Path)))
	for _, h := range p.Path {
		w.Fixed(h[:])
	}
}

func decodeProof(r *codec.Reader) *FraudProof {
	if !r.Bool() {
		return nil
	}
	p := &FraudProof{Index: r.U64(), Chunk: clone(r.VarBytes(MaxProofChunk))}
	n := r.Count(maxProofPath, 32)
	for i := 0; i < n; i++ {
		p.Path = append(p.Path, hash(r))
	}
	return p
}
