package idao

import (
	"fmt"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
)

// Records holds what grows without bound: artifact and dispute records,
// the history of committees and the event log. The state machine
// implements it over its store; writes become part of the block's commit,
// and reads see the block's earlier writes.
type Records interface {
	Artifact(id types.Hash) (*Artifact, bool)
	PutArtifact(a *Artifact)
	Dispute(id types.Hash) (*Dispute, bool)
	PutDispute(d *Dispute)
	// Committee reads the history: a dispute can outlive the two
	// rotations whose committees State keeps.
	Committee(name string, rotation uint64) (*Committee, bool)
	PutCommittee(c *Committee)
	Emit(e Event)
}

// Event is one entry of the audit trail.
type Event struct {
	Type     string // e.g. "artifact.submitted"
	IDAO     string
	Artifact types.Hash // zero when not about an artifact
	Detail   string     // deterministic, human-readable
}

// Ctx is what Exec needs from the block being executed.
type Ctx struct {
	Bank    staking.Bank
	Staking *staking.State
	Records Records
	Height  uint64
}

// Exec executes one transaction of a kind this package owns and returns
// nil or a *Failure. Each handler checks everything before its first
// write, so a failed transaction changes nothing.
func (s *State) Exec(ctx Ctx, sender staking.Address, kind uint16, body []byte) error {
	var f *Failure
	switch kind {
	case KindCreate:
		f = s.execCreate(ctx, sender, body)
	case KindPropose:
		f = s.execPropose(ctx, sender, body)
	case KindVote:
		f = s.execVote(ctx, sender, body)
	case KindSubmit:
		f = s.execSubmit(ctx, sender, body)
	case KindAttest:
		f = s.execAttest(ctx, body)
	case KindBeacon:
		f = s.execBeacon(ctx, body)
	case KindAttestBatch:
		f = s.execAttestBatch(ctx, body)
	case KindChallenge:
		f = s.execChallenge(ctx, sender, body)
	case KindRuling:
		f = s.execRuling(ctx, body)
	default:
		f = fail(BadBody, "transaction kind %d is not an idao kind", kind)
	}
	if f != nil {
		return f
	}
	return nil
}

func badBody(err error) *Failure { return fail(BadBody, "%v", err) }

// EndBlock closes a rotation when height ends one: the accumulated beacon
// becomes the new seed and every live iDAO draws its committee.
func (s *State) EndBlock(ctx Ctx) {
	if ctx.Height == 0 || ctx.Height%s.params.RotationBlocks != 0 {
		return
	}
	s.rotation++
	s.seed = s.acc
	s.acc = startAcc(s.seed, s.rotation+1)
	s.contrib = nil
	for _, n := range s.names() {
		if d := s.idaos[n]; !d.Dissolved {
			s.draw(ctx, d)
		}
	}
	ctx.Records.Emit(Event{Type: "beacon.rotated", Detail: hexShort(s.seed[:])})
	s.expire(ctx)
}

// expire ends the wait of artifacts pending for PendingRotations rotations:
// status expired, fee back to the submitter, out of the pending set and
// its batch. It runs at rotation boundaries, in id order.
func (s *State) expire(ctx Ctx) {
	ttl, ok := mul(PendingRotations, s.params.RotationBlocks)
	if !ok {
		return
	}
	for _, id := range s.Pending() {
		a, ok := ctx.Records.Artifact(id)
		if !ok || ctx.Height-min(ctx.Height, a.Height) < ttl {
			continue
		}
		s.expireArtifact(ctx, a, fmt.Sprintf("no certificate in %d rotations", PendingRotations))
	}
}

// expireArtifact ends a pending artifact's wait: status expired, fee back
// to the submitter, out of the pending set and its batch.
func (s *State) expireArtifact(ctx Ctx, a *Artifact, why string) {
	a.Status = Expired
	if fee := a.Submit.Fee; fee > 0 {
		ctx.Bank.SetBalance(Escrow, ctx.Bank.Balance(Escrow)-fee)
		ctx.Bank.SetBalance(a.Submitter, ctx.Bank.Balance(a.Submitter)+fee)
	}
	ctx.Records.PutArtifact(a)
	delete(s.pending, a.ID)
	s.settleBatch(a.BatchKey())
	ctx.Records.Emit(Event{Type: "artifact.expired", IDAO: a.Submit.IDAO, Artifact: a.ID,
		Detail: fmt.Sprintf("%s; fee %d returned", why, a.Submit.Fee)})
}

// draw makes d's committee for the current rotation, keeping the previous
// one so certificates made just before the boundary still land.
func (s *State) draw(ctx Ctx, d *IDAO) {
	pool := make([]Seat, 0, len(d.Members))
	for _, m := range d.Members {
		v, ok := ctx.Staking.Validator(m)
		if !ok || v.Jailed || v.Tokens == 0 {
			continue
		}
		pool = append(pool, Seat{Operator: m, BLSKey: v.BLSKey, Power: v.Tokens})
	}
	c := &Committee{IDAO: d.Name, Rotation: s.rotation, Seed: s.seed,
		Seats: Draw(s.seed, d.Name, pool, int(d.Policy.CommitteeSize))}
	cs := s.comms[d.Name]
	if n := len(cs); n > 0 && cs[n-1].Rotation == s.rotation {
		cs = cs[:n-1] // redrawn in the same rotation (a membership change)
	}
	cs = append(cs, c)
	if len(cs) > 2 {
		cs = cs[len(cs)-2:]
	}
	s.comms[d.Name] = cs
	ctx.Records.PutCommittee(c)
}
