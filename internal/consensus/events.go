package consensus

import "github.com/lazchain/lazchain/internal/types"

// Event is an input to Step: *Receive, *TimerFired, *PayloadReady or
// *Executed.
type Event interface{ isEvent() }

// Receive delivers a decoded message from validator From (-1 if the sender
// is not a validator, e.g. a syncing full node).
type Receive struct {
	From int
	Msg  types.Message
}

// TimerFired reports that the timer set for Round expired.
type TimerFired struct{ Round uint64 }

// PayloadReady answers a PayloadRequest with the transactions to propose.
type PayloadReady struct {
	Round uint64
	Txs   []*types.Tx
}

// Executed reports that the driver executed the committed block at
// Ref.Height, in order. It matters only to a core with Config.TrackState.
type Executed struct{ Ref types.StateRef }

func (*Executed) isEvent()     {}
func (*Receive) isEvent()      {}
func (*TimerFired) isEvent()   {}
func (*PayloadReady) isEvent() {}

// Broadcast as Outbound.To sends to every validator but self.
const Broadcast = -1

// Outbound is a message to send.
type Outbound struct {
	To  int
	Msg types.Message
}

// Timer asks the driver to fire TimerFired{Round} after Ticks, replacing any
// earlier timer.
type Timer struct {
	Round uint64
	Ticks uint64
}

// PayloadRequest asks the driver for transactions for a block at Height on
// top of Parent; it answers with PayloadReady.
type PayloadRequest struct {
	Round  uint64
	Height uint64
	Parent types.Hash
}

// Ready is the batch of actions from the steps since the last Ready call.
// The driver must, in this order: persist Blocks, HighQC and HighTC, record the
// Committed blocks durably, then send Messages and set the Timer.
type Ready struct {
	Blocks    []*types.Block
	HighQC    *types.QC // set when it changed
	HighTC    *types.TC // set when it changed
	Committed []*types.Block
	CommitQC  *types.QC // certifies the child that proves the last commit
	Messages  []Outbound
	Timer     *Timer
	Payload   *PayloadRequest
	// Equivocations are two signed votes, or two signed proposals, of one
	// validator for two blocks in one round, as they arrived: signatures
	// not necessarily checked. The driver checks them and reports them
	// on-chain as evidence.
	Equivocations []Equivocation
}

// What an Equivocation is made of.
const (
	EquivocatedVote     uint8 = 1
	EquivocatedProposal uint8 = 2
)

// Equivocation is two messages of one kind that Signer signed in one
// round of one epoch, for BlockA and BlockB.
type Equivocation struct {
	Kind           uint8
	Epoch, Round   uint64
	Signer         uint32
	BlockA, BlockB types.Hash
	SigA, SigB     []byte
}

// SigningBytes returns what each of the two signatures covers.
func (e *Equivocation) SigningBytes(chainID string) (a, b []byte) {
	if e.Kind == EquivocatedProposal {
		return types.ProposalSigningBytes(chainID, e.Epoch, e.Round, e.BlockA), types.ProposalSigningBytes(chainID, e.Epoch, e.Round, e.BlockB)
	}
	return types.VoteSigningBytes(chainID, e.Epoch, e.Round, e.BlockA), types.VoteSigningBytes(chainID, e.Epoch, e.Round, e.BlockB)
}

// Empty reports whether r holds no action.
func (r *Ready) Empty() bool {
	return len(r.Blocks) == 0 && r.HighQC == nil && r.HighTC == nil && len(r.Committed) == 0 &&
		len(r.Messages) == 0 && r.Timer == nil && r.Payload == nil && len(r.Equivocations) == 0
}

// Take removes from r the messages that early picks and returns them, in
// order, for a driver to send ahead of the synced write: only messages
// that no state of this Ready must be durable for may go.
func (r *Ready) Take(early func(types.Message) bool) []Outbound {
	var out []Outbound
	rest := r.Messages[:0]
	for _, m := range r.Messages {
		if early(m.Msg) {
			out = append(out, m)
			continue
		}
		rest = append(rest, m)
	}
	r.Messages = rest
	return out
}

// Merge appends the actions of next, a Ready taken after r, so that a
// driver carries out both with one synced write: a leader that answers a
// payload request at once writes the commit that asked for it and its
// proposal together. Later values of the single-valued fields win.
func (r *Ready) Merge(next Ready) {
	r.Blocks = append(r.Blocks, next.Blocks...)
	r.Committed = append(r.Committed, next.Committed...)
	r.Messages = append(r.Messages, next.Messages...)
	r.Equivocations = append(r.Equivocations, next.Equivocations...)
	if next.HighQC != nil {
		r.HighQC = next.HighQC
	}
	if next.HighTC != nil {
		r.HighTC = next.HighTC
	}
	if next.CommitQC != nil {
		r.CommitQC = next.CommitQC
	}
	if next.Timer != nil {
		r.Timer = next.Timer
	}
	if next.Payload != nil {
		r.Payload = next.Payload
	}
}

// Drop names why a message was rejected.
type Drop int

const (
	DropBadSignature Drop = iota
	DropWrongEpoch
	DropStaleRound
	DropInvalid
	DropUnknownSender
	DropNotLeader
	DropDuplicate
	DropUnsolicited
	DropEquivocation
	DropUnknownParent
	DropFutureRound
	DropBadState
	DropStruck
	numDrops
)

var dropNames = [numDrops]string{
	"bad_signature", "wrong_epoch", "stale_round", "invalid", "unknown_sender",
	"not_leader", "duplicate", "unsolicited", "equivocation", "unknown_parent", "future_round",
	"bad_state", "struck",
}

func (d Drop) String() string { return dropNames[d] }

// Stats counts what a core did and refused.
type Stats struct {
	Dropped   [numDrops]uint64
	Proposals uint64
	Votes     uint64
	Timeouts  uint64
	QCs       uint64
	TCs       uint64
	Commits   uint64
	Fetches   uint64
	// ExecWaits counts votes parked until the driver executed the height
	// a proposal vouches for; on the happy path it stays near zero.
	ExecWaits uint64
	// Demotions counts validators weighed down in the leader draw (see
	// reputation); on a healthy network it stays at zero.
	Demotions uint64
}

// DropNames lists the drop reasons in order, for metrics labels.
func DropNames() []string { return dropNames[:] }
