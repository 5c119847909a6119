package idao

import (
	"bytes"
	"cmp"
	"fmt"
	"math/bits"
	"slices"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
)

// OpenDispute is one entry of the open-dispute index.
type OpenDispute struct {
	ID       types.Hash
	Deadline uint64 // last height at which a ruling is accepted
}

// OpenDisputes returns the open disputes, earliest deadline first (then
// by id): the work list of the validators that rule on them. Their
// records are in Records.
func (s *State) OpenDisputes() []OpenDispute {
	out := make([]OpenDispute, 0, len(s.open))
	for id, dl := range s.open {
		out = append(out, OpenDispute{ID: id, Deadline: dl})
	}
	slices.SortFunc(out, cmpOpen)
	return out
}

func cmpOpen(a, b OpenDispute) int {
	if c := cmp.Compare(a.Deadline, b.Deadline); c != 0 {
		return c
	}
	return bytes.Compare(a.ID[:], b.ID[:])
}

// decodeOpen reads the index in the order OpenDisputes gives, refusing
// any other order so the state has one encoding.
func decodeOpen(r *codec.Reader, into map[types.Hash]uint64) {
	n := r.Count(1<<24, 40)
	var prev OpenDispute
	for i := 0; i < n && r.Err() == nil; i++ {
		o := OpenDispute{ID: hash(r), Deadline: r.U64()}
		if i > 0 && cmpOpen(prev, o) >= 0 {
			r.Fail(fmt.Errorf("open disputes out of order at %d: %w", i, codec.ErrInvalid))
		}
		into[o.ID], prev = o.Deadline, o
	}
}

// EndBlockDisputes expires the open disputes whose deadline is this block
// with no ruling: the bond goes back and the artifact is attested again
// unless another dispute over it is open. The state machine calls it at
// the end of every block; it reports whether it changed the state.
func (s *State) EndBlockDisputes(ctx Ctx) bool {
	var due []OpenDispute
	for id, dl := range s.open {
		if dl <= ctx.Height {
			due = append(due, OpenDispute{ID: id, Deadline: dl})
		}
	}
	slices.SortFunc(due, cmpOpen)
	for _, o := range due {
		dp, ok := ctx.Records.Dispute(o.ID)
		if !ok {
			delete(s.open, o.ID) // unreachable: every indexed dispute has a record
			continue
		}
		s.payOut(ctx, dp.Challenger, dp.Bond)
		s.closeDispute(ctx, dp, DisputeExpired, nil)
		status := "gone"
		if a, ok := ctx.Records.Artifact(dp.Artifact); ok {
			s.restore(ctx, a)
			status = a.Status.String()
		}
		ctx.Records.Emit(Event{Type: "dispute.expired", IDAO: dp.IDAO, Artifact: dp.Artifact,
			Detail: fmt.Sprintf("dispute %s claim %s: no ruling by height %d; bond %d returned; artifact %s", hexShort(dp.ID[:]), dp.Claim, dp.Deadline, dp.Bond, status)})
	}
	return len(due) > 0
}

// closeDispute records dp's end and drops it from the index.
func (s *State) closeDispute(ctx Ctx, dp *Dispute, st DisputeStatus, j *Judgment) {
	dp.Status, dp.Closed, dp.Ruling = st, ctx.Height, j
	delete(s.open, dp.ID)
	ctx.Records.PutDispute(dp)
}

// supersede closes an open dispute whose artifact another ruling
// overturned: the certificate it disputed is gone, so its bond comes back.
func (s *State) supersede(ctx Ctx, id types.Hash) {
	dp, ok := ctx.Records.Dispute(id)
	if !ok {
		delete(s.open, id)
		return
	}
	s.payOut(ctx, dp.Challenger, dp.Bond)
	s.closeDispute(ctx, dp, DisputeSuperseded, nil)
	ctx.Records.Emit(Event{Type: "dispute.superseded", IDAO: dp.IDAO, Artifact: dp.Artifact,
		Detail: fmt.Sprintf("dispute %s claim %s: artifact overturned by another dispute; bond %d returned", hexShort(dp.ID[:]), dp.Claim, dp.Bond)})
}

// restore puts a disputed artifact back to Attested once none of its
// disputes is open, and stores it.
func (s *State) restore(ctx Ctx, a *Artifact) {
	if a.Status == Disputed && !slices.ContainsFunc(a.Disputes, func(id types.Hash) bool { _, ok := s.open[id]; return ok }) {
		a.Status = Attested
	}
	ctx.Records.PutArtifact(a)
}

// payOut moves amt from the dispute escrow to to. The escrow holds every
// open bond, so it always has amt; taking at most its balance keeps a bug
// from minting tokens.
func (s *State) payOut(ctx Ctx, to staking.Address, amt uint64) {
	amt = min(amt, ctx.Bank.Balance(DisputeEscrow))
	if amt == 0 {
		return
	}
	ctx.Bank.SetBalance(DisputeEscrow, ctx.Bank.Balance(DisputeEscrow)-amt)
	ctx.Bank.SetBalance(to, ctx.Bank.Balance(to)+amt)
}

// forfeit shares dp's bond among the signers of the certificate it failed
// to overturn, in proportion to their committee stake; the rounding
// remainder goes to the first, so nothing stays in escrow. It returns how
// many were paid.
func (s *State) forfeit(ctx Ctx, dp *Dispute, seats []Seat) int {
	var total uint64
	for _, seat := range seats {
		total += seat.Power
	}
	if total == 0 {
		// A certificate always has signers with stake; were it not so,
		// nobody would have earned the bond.
		s.payOut(ctx, dp.Challenger, dp.Bond)
		return 0
	}
	shares := make([]uint64, len(seats))
	var paid uint64
	for i, seat := range seats {
		shares[i] = mulDiv(dp.Bond, seat.Power, total)
		paid += shares[i]
	}
	shares[0] += dp.Bond - paid
	for i, seat := range seats {
		s.payOut(ctx, seat.Operator, shares[i])
	}
	return len(seats)
}

// mulDiv returns a*b/c for b <= c, which cannot overflow.
func mulDiv(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	q, _ := bits.Div64(hi, lo, c)
	return q
}
