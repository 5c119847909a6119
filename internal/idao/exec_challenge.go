package idao

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
)

// DisputeEscrow holds the bonds of open disputes, apart from the fee
// escrow, so its balance is always the sum of the open bonds. Like Escrow
// it is a plain account nobody has the key of.
var DisputeEscrow = staking.Address(types.Hash(sha256Tag("lazchain/idao/dispute-escrow")))

// execChallenge opens a dispute over an attested artifact's certificate.
// Optimistic verification: a certificate stands unless someone stakes a
// bond to say it is wrong within the challenge window.
func (s *State) execChallenge(ctx Ctx, sender staking.Address, body []byte) *Failure {
	c, err := DecodeChallenge(body)
	if err != nil {
		return badBody(err)
	}
	a, d, f := s.challengeable(ctx, c)
	if f != nil {
		return f
	}
	if c.Bond != d.Policy.DisputeBond {
		return fail(WrongBond, "bond %d, policy of %q asks %d", c.Bond, d.Name, d.Policy.DisputeBond)
	}
	if c.Proof != nil {
		if f := checkFraudProof(a, c.Proof); f != nil {
			return f
		}
	}
	deadline, ok := add(ctx.Height, s.params.RulingBlocks)
	if !ok {
		return fail(BadBody, "ruling deadline overflows")
	}
	if f := s.takeBond(ctx, sender, c.Bond); f != nil {
		return f
	}
	dp := &Dispute{ID: DisputeID(a.ID, c.Claim), Artifact: a.ID, IDAO: d.Name, Claim: c.Claim, Challenger: sender,
		Bond: c.Bond, Opened: ctx.Height, Deadline: deadline, CertVerdict: a.Verdict, CertDigest: a.Digest,
		Proof: c.Proof, Note: c.Note, Status: DisputeOpen}
	ctx.Records.PutDispute(dp)
	a.Status = Disputed
	a.Disputes = append(a.Disputes, dp.ID)
	ctx.Records.PutArtifact(a)
	s.open[dp.ID] = deadline
	ctx.Records.Emit(Event{Type: "dispute.opened", IDAO: d.Name, Artifact: a.ID,
		Detail: fmt.Sprintf("dispute %s claim %s by %s bond %d deadline %d proof %v", hexShort(dp.ID[:]), c.Claim, hexShort(sender[:]), c.Bond, deadline, c.Proof != nil)})
	return nil
}

// challengeable checks that c names a defined claim against an artifact
// whose certificate still stands, within its window, and that the claim
// was never disputed before.
func (s *State) challengeable(ctx Ctx, c Challenge) (*Artifact, *IDAO, *Failure) {
	if !c.Claim.Valid() {
		return nil, nil, fail(BadBody, "claim %d: want 1 (wrong verdict), 2 (wrong digest) or 3 (unavailable)", c.Claim)
	}
	a, ok := ctx.Records.Artifact(c.Artifact)
	if !ok {
		return nil, nil, fail(UnknownArtifact, "no artifact %x", c.Artifact)
	}
	if a.Status != Attested && a.Status != Disputed {
		return nil, nil, fail(NotChallengeable, "artifact %x is %s: only an attested verdict can be disputed", c.Artifact[:8], a.Status)
	}
	if ctx.Height > a.ChallengeEnd {
		return nil, nil, fail(WindowClosed, "the challenge window of artifact %x ended at height %d", c.Artifact[:8], a.ChallengeEnd)
	}
	// One dispute per (artifact, claim), ever: an expired one counts too,
	// since its bond came back and re-opening would let anyone keep a
	// verdict disputed for free until the window closes.
	id := DisputeID(a.ID, c.Claim)
	if old, ok := ctx.Records.Dispute(id); ok {
		if old.Status == DisputeOpen {
			return nil, nil, fail(DuplicateDispute, "dispute %s over claim %s is open until height %d", hexShort(id[:]), c.Claim, old.Deadline)
		}
		return nil, nil, fail(DisputeClosed, "claim %s against artifact %x was already disputed (%s at height %d)", c.Claim, c.Artifact[:8], old.Status, old.Closed)
	}
	d, ok := s.idaos[a.Submit.IDAO]
	if !ok {
		return nil, nil, fail(UnknownIDAO, "no idao %q", a.Submit.IDAO)
	}
	return a, d, nil
}

// checkFraudProof checks that p's chunk is chunk p.Index of a. The chunk
// count comes from the certified size and chunk size, because a Merkle
// root alone does not bind it.
func checkFraudProof(a *Artifact, p *FraudProof) *Failure {
	size, cs := a.Submit.Size, uint64(a.Submit.ChunkSize)
	if cs == 0 {
		return fail(BadFraudProof, "artifact has no chunk size")
	}
	count := (size + cs - 1) / cs
	if p.Index >= count {
		return fail(BadFraudProof, "chunk %d of an artifact of %d chunks", p.Index, count)
	}
	want := cs
	if p.Index == count-1 {
		want = size - cs*(count-1)
	}
	if uint64(len(p.Chunk)) != want {
		return fail(BadFraudProof, "chunk %d has %d bytes, want %d", p.Index, len(p.Chunk), want)
	}
	path := make([]merkle.Hash, len(p.Path))
	for i, h := range p.Path {
		path[i] = merkle.Hash(h)
	}
	mp := merkle.Proof{Index: p.Index, Count: count, Path: path}
	if err := mp.Verify(merkle.Hash(a.Submit.Root), merkle.LeafHash(p.Chunk)); err != nil {
		return fail(BadFraudProof, "chunk %d: %v", p.Index, err)
	}
	return nil
}

// takeBond moves bond from sender to the dispute escrow; it changes
// nothing when it fails.
func (s *State) takeBond(ctx Ctx, sender staking.Address, bond uint64) *Failure {
	if bond == 0 {
		return nil
	}
	bal := ctx.Bank.Balance(sender)
	if bal < bond {
		return fail(InsufficientFunds, "balance %d, bond %d", bal, bond)
	}
	esc, ok := add(ctx.Bank.Balance(DisputeEscrow), bond)
	if !ok {
		return fail(WrongBond, "dispute escrow would overflow")
	}
	ctx.Bank.SetBalance(sender, bal-bond)
	ctx.Bank.SetBalance(DisputeEscrow, esc)
	return nil
}
