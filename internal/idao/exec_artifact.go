package idao

import (
	"fmt"
	"math"

	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// Escrow holds submission fees until a certificate pays them out. It is a
// plain account nobody has the key of, so supply accounting needs nothing
// new.
var Escrow = staking.Address(types.Hash(sha256Tag("lazchain/idao/escrow")))

func (s *State) execSubmit(ctx Ctx, sender staking.Address, body []byte) *Failure {
	sub, err := DecodeSubmit(body)
	if err != nil {
		return badBody(err)
	}
	d, f := s.liveIDAO(sub.IDAO)
	if f != nil {
		return f
	}
	if f := checkSubmit(d.Policy, sub); f != nil {
		return f
	}
	named := sub
	named.IDAO = d.Name
	id := ArtifactID(named)
	if _, ok := ctx.Records.Artifact(id); ok {
		return fail(DuplicateArtifact, "idao %q already has artifact %x", d.Name, sub.Root)
	}
	if sub.Fee > 0 {
		bal := ctx.Bank.Balance(sender)
		if bal < sub.Fee {
			return fail(InsufficientFunds, "balance %d, fee %d", bal, sub.Fee)
		}
		esc, ok := add(ctx.Bank.Balance(Escrow), sub.Fee)
		if !ok {
			return fail(BadArtifact, "escrow would overflow")
		}
		ctx.Bank.SetBalance(sender, bal-sub.Fee)
		ctx.Bank.SetBalance(Escrow, esc)
	}
	a := &Artifact{ID: id, Submitter: sender, Submit: sub, Height: ctx.Height, Rotation: s.rotation, Status: Pending}
	a.Part = s.addToBatch(d.Name, ctx.Height, id).Part
	ctx.Records.PutArtifact(a)
	s.pending[id] = d.Name
	ctx.Records.Emit(Event{Type: "artifact.submitted", IDAO: d.Name, Artifact: id,
		Detail: fmt.Sprintf("%s %q root %x size %d", sub.Kind, sub.Name, sub.Root[:8], sub.Size)})
	return nil
}

func checkSubmit(p Policy, sub Submit) *Failure {
	switch {
	case !p.Accepts(sub.Kind):
		return fail(KindRejected, "policy does not accept %s", sub.Kind)
	case sub.Fee != p.SubmitFee:
		return fail(WrongFee, "fee %d, policy asks %d", sub.Fee, p.SubmitFee)
	case sub.Size == 0 || sub.Size > MaxArtifactLen:
		return fail(BadArtifact, "size %d: want 1..%d", sub.Size, uint64(MaxArtifactLen))
	case sub.ChunkSize < MinChunkSize || sub.ChunkSize > MaxChunkSize:
		return fail(BadArtifact, "chunk size %d: want %d..%d", sub.ChunkSize, MinChunkSize, MaxChunkSize)
	case (sub.Size+uint64(sub.ChunkSize)-1)/uint64(sub.ChunkSize) > MaxArtifactChunks:
		return fail(BadArtifact, "%d bytes in chunks of %d are over %d chunks", sub.Size, sub.ChunkSize, MaxArtifactChunks)
	case sub.Root == types.Hash{}:
		return fail(BadArtifact, "empty root")
	}
	want := map[verify.Kind][]string{verify.KindDataset: {"csv", "jsonl"}, verify.KindModel: {"safetensors"}, verify.KindAgentRun: {"wasm"}}
	for _, f := range want[sub.Kind] {
		if f == sub.Format {
			return nil
		}
	}
	return fail(BadArtifact, "format %q is not one of %v for %s", sub.Format, want[sub.Kind], sub.Kind)
}

func (s *State) execAttest(ctx Ctx, body []byte) *Failure {
	at, err := DecodeAttest(body)
	if err != nil {
		return badBody(err)
	}
	a, ok := ctx.Records.Artifact(at.Artifact)
	if !ok {
		return fail(UnknownArtifact, "no artifact %x", at.Artifact)
	}
	if a.Status != Pending {
		return fail(AlreadyAttested, "artifact %x was attested at height %d", at.Artifact[:8], a.AttestHeight)
	}
	d := s.idaos[a.Submit.IDAO]
	c, ok := s.Committee(d.Name, at.Rotation)
	if !ok || at.Rotation < a.Rotation {
		return fail(UnknownRotation, "no committee of %q for rotation %d (current %d, submitted in %d)", d.Name, at.Rotation, s.rotation, a.Rotation)
	}
	if f := checkReason(at.Verdict, at.Digest, at.Reason); f != nil {
		return f
	}
	if f := jailedSigner(ctx, c, at.Signers); f != nil {
		return f
	}
	signed, f := CheckCertificate(s.chainID, c, d.Policy, at)
	if f != nil {
		return f
	}
	s.settle(ctx, d, c, a, cert{verdict: at.Verdict, digest: at.Digest, reason: at.Reason, rotation: at.Rotation,
		signers: at.Signers, sig: at.Sig, signed: signed})
	return nil
}

// cert is what settles one artifact.
type cert struct {
	verdict  bool
	digest   types.Hash
	reason   string
	rotation uint64
	signers  types.Bitmap
	sig      []byte
	signed   uint64
}

// settle records a's verdict and certificate, pays the fee out and
// emits the event.
func (s *State) settle(ctx Ctx, d *IDAO, c *Committee, a *Artifact, ct cert) {
	a.Status, a.Verdict, a.Digest, a.Reason = Attested, ct.verdict, ct.digest, ct.reason
	a.AttestHeight, a.CertRotation, a.Signers, a.Sig = ctx.Height, ct.rotation, ct.signers, ct.sig
	a.SignedPower, a.CommitteePower = ct.signed, c.Power()
	// Policies bound the window; saturate anyway rather than wrap.
	end, ok := add(ctx.Height, d.Policy.ChallengeWindow)
	if !ok {
		end = math.MaxUint64
	}
	a.ChallengeEnd = end
	// A dispute opened by the end of the window is ruled within
	// RulingBlocks, its deadline block included: through it the signers'
	// stake must stay slashable, and staking frees it at SlashableUntil.
	until, ok := add(end, s.params.RulingBlocks+1)
	if !ok {
		until = math.MaxUint64
	}
	for _, seat := range signerSeats(a, c) {
		ctx.Staking.LockSlashable(seat.Operator, until, ctx.Height)
	}
	s.payFee(ctx, a, c)
	ctx.Records.PutArtifact(a)
	delete(s.pending, a.ID)
	s.settleBatch(a.BatchKey())
	verdict := "invalid"
	if a.Verdict {
		verdict = "valid"
	}
	ctx.Records.Emit(Event{Type: "artifact.attested", IDAO: d.Name, Artifact: a.ID,
		Detail: fmt.Sprintf("%s digest %x rotation %d stake %d/%d signers %v batched %v", verdict, a.Digest[:8], a.CertRotation, ct.signed, a.CommitteePower, a.Signers.Indices(), a.Batched)})
}

// checkReason binds an invalid verdict's reason to its signed digest.
func checkReason(verdict bool, digest types.Hash, reason string) *Failure {
	if verdict && reason != "" {
		return fail(BadCertificate, "a valid verdict carries no reason")
	}
	if !verdict && verify.Invalid("%s", reason).Digest != digest {
		return fail(BadCertificate, "reason %q does not hash to the signed digest", reason)
	}
	return nil
}

func (s *State) execAttestBatch(ctx Ctx, body []byte) *Failure {
	at, err := DecodeAttestBatch(body)
	if err != nil {
		return badBody(err)
	}
	ids, ok := s.batches[at.Key]
	if !ok {
		return fail(UnknownArtifact, "no pending batch %s", at.Key)
	}
	if len(at.Entries) != len(ids) {
		return fail(BadCertificate, "%d entries for a batch of %d", len(at.Entries), len(ids))
	}
	d := s.idaos[at.Key.IDAO]
	first, _ := ctx.Records.Artifact(ids[0])
	c, ok := s.Committee(d.Name, at.Rotation)
	if !ok || first == nil || at.Rotation < first.Rotation {
		return fail(UnknownRotation, "no committee of %q for rotation %d", d.Name, at.Rotation)
	}
	for i, e := range at.Entries {
		if f := checkReason(e.Verdict, e.Digest, e.Reason); f != nil {
			f.Reason = fmt.Sprintf("entry %d: %s", i, f.Reason)
			return f
		}
	}
	if f := jailedSigner(ctx, c, at.Signers); f != nil {
		return f
	}
	leaves, root := BatchRoot(ids, at.Entries)
	signed, f := CheckSigned(c, d.Policy, at.Signers, at.Sig, BatchVoteBytes(s.chainID, at.Key, at.Rotation, len(ids), root))
	if f != nil {
		return f
	}
	proofs := merkle.ProveAll(leaves)
	for i, id := range ids {
		a, ok := ctx.Records.Artifact(id)
		if !ok || a.Status != Pending {
			continue // settled alone meanwhile
		}
		p := proofs[i]
		a.Batched, a.BatchIndex, a.BatchCount, a.BatchRoot = true, uint32(i), uint32(len(ids)), root
		a.BatchPath = make([]types.Hash, len(p.Path))
		for j, h := range p.Path {
			a.BatchPath[j] = types.Hash(h)
		}
		e := at.Entries[i]
		s.settle(ctx, d, c, a, cert{verdict: e.Verdict, digest: e.Digest, reason: e.Reason, rotation: at.Rotation,
			signers: at.Signers, sig: at.Sig, signed: signed})
	}
	return nil
}

// payFee shares the escrowed fee among the signers; the remainder of the
// division goes to the first, so nothing stays behind.
func (s *State) payFee(ctx Ctx, a *Artifact, c *Committee) {
	fee := a.Submit.Fee
	signers := a.Signers.Indices()
	if fee == 0 || len(signers) == 0 {
		return
	}
	ctx.Bank.SetBalance(Escrow, ctx.Bank.Balance(Escrow)-fee)
	share := fee / uint64(len(signers))
	for i, idx := range signers {
		amt := share
		if i == 0 {
			amt += fee - share*uint64(len(signers))
		}
		op := c.Seats[idx].Operator
		ctx.Bank.SetBalance(op, ctx.Bank.Balance(op)+amt)
	}
}

func (s *State) execBeacon(ctx Ctx, body []byte) *Failure {
	b, err := DecodeBeacon(body)
	if err != nil {
		return badBody(err)
	}
	if b.Rotation != s.rotation+1 {
		return fail(BadBeacon, "contribution for rotation %d; collecting for %d", b.Rotation, s.rotation+1)
	}
	v, ok := ctx.Staking.Validator(b.Validator)
	if !ok || !inActive(ctx.Staking, b.Validator) {
		return fail(NotValidator, "%s is not in the active set", b.Validator)
	}
	if _, dup := slicesSearch(s.contrib, b.Validator); dup {
		return fail(DuplicateBeacon, "%s already contributed to rotation %d", b.Validator, b.Rotation)
	}
	pk, err := (bls.Scheme{}).ParsePublicKey(v.BLSKey)
	if err != nil || !(bls.Scheme{}).Verify(pk, BeaconBytes(s.chainID, b.Rotation), b.Sig) {
		return fail(BadBeacon, "signature does not verify under %s's key", b.Validator)
	}
	s.acc = mix(s.acc, b.Sig)
	s.contrib = insertAddr(s.contrib, b.Validator)
	return nil
}

func inActive(st *staking.State, op staking.Address) bool {
	for _, m := range st.Active() {
		if m.Operator == op {
			return true
		}
	}
	return false
}
