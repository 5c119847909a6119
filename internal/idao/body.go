package idao

import (
	"fmt"
	"regexp"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// Transaction kinds owned by this package. Staking owns 1-8 and the state
// machine 0 and 9.
const (
	KindCreate  uint16 = 10
	KindPropose uint16 = 11
	KindVote    uint16 = 12
	KindSubmit  uint16 = 13
	KindAttest  uint16 = 14
	KindBeacon  uint16 = 15
	FirstKind          = KindCreate
	LastKind           = KindRuling
	bodyVersion        = 1
)

// Size bounds of bodies.
const (
	MaxMembers     = 256
	MaxText        = 1024
	MaxSchema      = 16 << 10
	MaxNameLen     = 64
	maxSigSize     = types.MaxSignatureSize
	MaxChunkSize   = 16 << 20
	MinChunkSize   = 4 << 10
	MaxArtifactLen = 1 << 40
	// MaxArtifactChunks bounds the chunk count, which sets what a verifier
	// must hold for the manifest (32 bytes a chunk) and the fraud proofs'
	// depth; it is the off-chain store's bound (blob.MaxChunks).
	MaxArtifactChunks = 1 << 20
)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

// ValidName reports whether s can name an iDAO.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// Create founds an iDAO. Its members must be registered validators.
type Create struct {
	Name    string
	Policy  Policy
	Members []staking.Address
}

// Action is what a proposal would change.
type Action uint8

const (
	AddMember Action = iota + 1
	RemoveMember
	SetPolicy
	Dissolve
)

func (a Action) String() string {
	switch a {
	case AddMember:
		return "add-member"
	case RemoveMember:
		return "remove-member"
	case SetPolicy:
		return "set-policy"
	case Dissolve:
		return "dissolve"
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// Propose opens a proposal; the proposer's own vote is yes.
type Propose struct {
	IDAO   string
	Action Action
	Member staking.Address // AddMember, RemoveMember
	Policy Policy          // SetPolicy
}

// Vote is a member's vote on an open proposal.
type Vote struct {
	IDAO     string
	Proposal uint64
	Yes      bool
}

// Submit asks an iDAO to verify an artifact whose bytes are in the
// off-chain store under Root.
type Submit struct {
	IDAO        string
	Kind        verify.Kind
	Root        types.Hash
	Size        uint64
	ChunkSize   uint32
	Name        string
	Description string
	License     string
	Format      string
	Schema      []byte
	Claim       types.Hash // agent runs: the claimed output digest
	Verifier    string     // verifier spec, e.g. "dataset/v1"
	Fee         uint64     // must equal the policy's SubmitFee
}

// Attest anchors a committee's certificate over one artifact's verdict.
type Attest struct {
	Artifact types.Hash
	Verdict  bool
	Digest   types.Hash
	Rotation uint64
	Signers  types.Bitmap // over the rotation's committee
	Sig      []byte       // aggregate BLS signature
	// Reason says why an invalid artifact is invalid (the row, tensor or
	// limit). It is not signed, but it must hash to the signed digest
	// (verify.Invalid), so whoever submits the certificate cannot alter it.
	Reason string
}

// Beacon is one validator's contribution to a rotation's seed.
type Beacon struct {
	Rotation  uint64
	Validator staking.Address
	Sig       []byte
}

func (c Create) Encode() []byte {
	w := codec.NewWriter(128 + 32*len(c.Members))
	w.U8(bodyVersion)
	w.VarBytes([]byte(c.Name))
	c.Policy.encode(w)
	w.U32(uint32(len(c.Members)))
	for _, m := range c.Members {
		w.Fixed(m[:])
	}
	return w.Bytes()
}

func DecodeCreate(b []byte) (Create, error) {
	r := codec.NewReader(b)
	r.Version(bodyVersion)
	c := Create{Name: string(r.VarBytes(MaxNameLen)), Policy: decodePolicy(r)}
	n := r.Count(MaxMembers, 32)
	for i := 0; i < n; i++ {
		c.Members = append(c.Members, addr(r))
	}
	return c, finish(r, "create-idao")
}

func (p Propose) Encode() []byte {
	w := codec.NewWriter(128)
	w.U8(bodyVersion)
	w.VarBytes([]byte(p.IDAO))
	w.U8(uint8(p.Action))
	w.Fixed(p.Member[:])
	p.Policy.encode(w)
	return w.Bytes()
}

func DecodePropose(b []byte) (Propose, error) {
	r := codec.NewReader(b)
	r.Version(bodyVersion)
	p := Propose{IDAO: string(r.VarBytes(MaxNameLen)), Action: Action(r.U8()), Member: addr(r), Policy: decodePolicy(r)}
	return p, finish(r, "propose")
}

func (v Vote) Encode() []byte {
	w := codec.NewWriter(80)
	w.U8(bodyVersion)
	w.VarBytes([]byte(v.IDAO))
	w.U64(v.Proposal)
	w.Bool(v.Yes)
	return w.Bytes()
}

func DecodeVote(b []byte) (Vote, error) {
	r := codec.NewReader(b)
	r.Version(bodyVersion)
	v := Vote{IDAO: string(r.VarBytes(MaxNameLen)), Proposal: r.U64(), Yes: r.Bool()}
	return v, finish(r, "vote")
}

func (s Submit) Encode() []byte {
	w := codec.NewWriter(256 + len(s.Schema) + len(s.Description))
	w.U8(bodyVersion)
	w.VarBytes([]byte(s.IDAO))
	w.U8(uint8(s.Kind))
	w.Fixed(s.Root[:])
	w.U64(s.Size)
	w.U32(s.ChunkSize)
	for _, t := range []string{s.Name, s.Description, s.License, s.Format} {
		w.VarBytes([]byte(t))
	}
	w.VarBytes(s.Schema)
	w.Fixed(s.Claim[:])
	w.VarBytes([]byte(s.Verifier))
	w.U64(s.Fee)
	return w.Bytes()
}

func DecodeSubmit(b []byte) (Submit, error) {
	r := codec.NewReader(b)
	r.Version(bodyVersion)
	s := Submit{IDAO: string(r.VarBytes(MaxNameLen)), Kind: verify.Kind(r.U8()), Root: hash(r), Size: r.U64(), ChunkSize: r.U32()}
	s.Name, s.Description = string(r.VarBytes(MaxText)), string(r.VarBytes(MaxText))
	s.License, s.Format = string(r.VarBytes(MaxText)), string(r.VarBytes(MaxText))
	s.Schema = clone(r.VarBytes(MaxSchema))
	s.Claim = hash(r)
	s.Verifier = string(r.VarBytes(MaxText))
	s.Fee = r.U64()
	return s, finish(r, "submit-artifact")
}

func (a Attest) Encode() []byte {
	w := codec.NewWriter(160 + len(a.Signers) + len(a.Sig))
	w.U8(bodyVersion)
	w.Fixed(a.Artifact[:])
	w.Bool(a.Verdict)
	w.Fixed(a.Digest[:])
	w.U64(a.Rotation)
	w.VarBytes(a.Signers)
	w.VarBytes(a.Sig)
	w.VarBytes([]byte(a.Reason))
	return w.Bytes()
}

func DecodeAttest(b []byte) (Attest, error) {
	r := codec.NewReader(b)
	r.Version(bodyVersion)
	a := Attest{Artifact: hash(r), Verdict: r.Bool(), Digest: hash(r), Rotation: r.U64()}
	a.Signers = types.Bitmap(clone(r.VarBytes((MaxCommittee + 7) / 8)))
	a.Sig = clone(r.VarBytes(maxSigSize))
	a.Reason = string(r.VarBytes(MaxText))
	return a, finish(r, "attest")
}

func (b Beacon) Encode() []byte {
	w := codec.NewWriter(160)
	w.U8(bodyVersion)
	w.U64(b.Rotation)
	w.Fixed(b.Validator[:])
	w.VarBytes(b.Sig)
	return w.Bytes()
}

func DecodeBeacon(body []byte) (Beacon, error) {
	r := codec.NewReader(body)
	r.Version(bodyVersion)
	b := Beacon{Rotation: r.U64(), Validator: addr(r), Sig: clone(r.VarBytes(maxSigSize))}
	return b, finish(r, "beacon")
}

func addr(r *codec.Reader) (a staking.Address) {
	copy(a[:], r.Fixed(32))
	return a
}

func hash(r *codec.Reader) (h types.Hash) {
	copy(h[:], r.Fixed(32))
	return h
}

func finish(r *codec.Reader, what string) error {
	if err := r.Finish(); err != nil {
		return fmt.Errorf("%s body: %w", what, err)
	}
	return nil
}

func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}

// A verifier's reason must always fit where votes and certificates carry
// it (MaxText): this fails to compile if it could not.
const _ = uint(MaxText - verify.MaxReasonBytes)
