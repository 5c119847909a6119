package idao

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// Status is where an artifact is in its life.
type Status uint8

const (
	Pending    Status = iota + 1 // submitted, no certificate yet
	Attested                     // a certificate is anchored; Verdict says which way
	Disputed                     // attested, and at least one dispute over it is open
	Overturned                   // a ruling for a challenger replaced the certificate's verdict and digest
	Expired                      // no certificate within PendingRotations rotations; its fee went back
)

// PendingRotations is how many rotations an artifact may wait for its
// certificate. Past it nobody will check it (its data was never made
// available, or its shape matches no manifest), and kept pending it would
// be fetched and retried by every member forever.
const PendingRotations = 10

func (s Status) String() string {
	switch s {
	case Pending:
		return "pending"
	case Attested:
		return "attested"
	case Disputed:
		return "disputed"
	case Overturned:
		return "overturned"
	case Expired:
		return "expired"
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Settled reports whether the artifact has a verdict: attested (disputed
// or not) or overturned. Pending and expired ones have none.
func (a *Artifact) Settled() bool { return a.Status != Pending && a.Status != Expired }

// ArtifactID is the id of the artifact sub asks iDAO sub.IDAO to check:
// the same bytes may be checked by several iDAOs, each once per question.
// It binds the content's shape (size and chunk size) and kind, not only
// its root: an id of the root alone let anyone take it first with a wrong
// size, which no member's manifest matches, so that the real content
// could never be checked in that iDAO. It also binds what decides the
// verdict (format, schema, claimed digest, verifier spec), so a
// submission with a wrong claim cannot take the id of the true one.
func ArtifactID(sub Submit) types.Hash {
	h := sha256.New()
	h.Write([]byte("lazchain/artifact/v3\x00"))
	field := func(b []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	field([]byte(sub.IDAO))
	h.Write(sub.Root[:])
	var shape [14]byte
	binary.BigEndian.PutUint64(shape[0:], sub.Size)
	binary.BigEndian.PutUint32(shape[8:], sub.ChunkSize)
	binary.BigEndian.PutUint16(shape[12:], uint16(sub.Kind))
	h.Write(shape[:])
	field([]byte(sub.Format))
	field(sub.Schema)
	h.Write(sub.Claim[:])
	field([]byte(sub.Verifier))
	var id types.Hash
	h.Sum(id[:0])
	return id
}

// Artifact is the on-chain record of one artifact.
type Artifact struct {
	ID        types.Hash
	Submitter staking.Address
	Submit    Submit
	Height    uint64 // of submission
	Rotation  uint64 // current at submission
	Status    Status

	// Set once attested.
	Verdict        bool
	Digest         types.Hash
	AttestHeight   uint64
	CertRotation   uint64
	Signers        types.Bitmap
	Sig            []byte
	SignedPower    uint64
	CommitteePower uint64
	ChallengeEnd   uint64 // last height at which the verdict may be disputed
	Reason         string // why it is invalid; hashes to Digest

	// Set when the certificate covered a whole batch: the signatures are
	// over the batch root, and BatchPath proves this artifact's entry.
	Part       uint32 // of its submission batch (idao, Height, Part)
	Batched    bool
	BatchIndex uint32
	BatchCount uint32
	BatchRoot  types.Hash
	BatchPath  []types.Hash

	// Disputes over the certificate, in the order they were opened. When
	// Status is Overturned, OverturnedBy is the dispute whose ruling gave
	// Verdict, Digest and Reason; the certificate fields above stay as the
	// wrong certificate was, for audits.
	Disputes     []types.Hash
	OverturnedBy types.Hash
}

// BatchKey is the batch the artifact was submitted in.
func (a *Artifact) BatchKey() BatchKey {
	return BatchKey{IDAO: a.Submit.IDAO, Height: a.Height, Part: a.Part}
}

// Kind is the artifact's kind.
func (a *Artifact) Kind() verify.Kind { return a.Submit.Kind }

// artifactVersion is 2 since records carry their disputes.
const artifactVersion = 2

// Encode returns the canonical record.
func (a *Artifact) Encode() []byte {
	w := codec.NewWriter(512)
	w.U8(artifactVersion)
	w.Fixed(a.ID[:])
	w.Fixed(a.Submitter[:])
	w.VarBytes(a.Submit.Encode())
	w.U64(a.Height)
	w.U64(a.Rotation)
	w.U8(uint8(a.Status))
	w.Bool(a.Verdict)
	w.Fixed(a.Digest[:])
	w.U64(a.AttestHeight)
	w.U64(a.CertRotation)
	w.VarBytes(a.Signers)
	w.VarBytes(a.Sig)
	w.U64(a.SignedPower)
	w.U64(a.CommitteePower)
	w.U64(a.ChallengeEnd)
	w.VarBytes([]byte(a.Reason))
	w.U32(a.Part)
	w.Bool(a.Batched)
	w.U32(a.BatchIndex)
	w.U32(a.BatchCount)
	w.Fixed(a.BatchRoot[:])
	w.U32(uint32(len(a.BatchPath)))
	for _, h := range a.BatchPath {
		w.Fixed(h[:])
	}
	w.U32(uint32(len(a.Disputes)))
	for _, h := range a.Disputes {
		w.Fixed(h[:])
	}
	w.Fixed(a.OverturnedBy[:])
	return w.Bytes()
}

// DecodeArtifact parses what Encode wrote.
func DecodeArtifact(b []byte) (*Artifact, error) {
	r := codec.NewReader(b)
	r.Version(artifactVersion)
	a := &Artifact{ID: hash(r), Submitter: addr(r)}
	sub := r.VarBytes(1 << 20)
	a.Height, a.Rotation, a.Status = r.U64(), r.U64(), Status(r.U8())
	a.Verdict, a.Digest = r.Bool(), hash(r)
	a.AttestHeight, a.CertRotation = r.U64(), r.U64()
	a.Signers = types.Bitmap(clone(r.VarBytes((MaxCommittee + 7) / 8)))
	a.Sig = clone(r.VarBytes(maxSigSize))
	a.SignedPower, a.CommitteePower, a.ChallengeEnd = r.U64(), r.U64(), r.U64()
	a.Reason = string(r.VarBytes(MaxText))
	a.Part, a.Batched, a.BatchIndex, a.BatchCount, a.BatchRoot = r.U32(), r.Bool(), r.U32(), r.U32(), hash(r)
	n := r.Count(64, 32)
	for i := 0; i < n; i++ {
		a.BatchPath = append(a.BatchPath, hash(r))
	}
	n = r.Count(maxDisputes, 32)
	for i := 0; i < n; i++ {
		a.Disputes = append(a.Disputes, hash(r))
	}
	a.OverturnedBy = hash(r)
	if err := finish(r, "artifact record"); err != nil {
		return nil, err
	}
	s, err := DecodeSubmit(sub)
	if err != nil {
		return nil, fmt.Errorf("artifact record: %w", err)
	}
	a.Submit = s
	return a, nil
}
