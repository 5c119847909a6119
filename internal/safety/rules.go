package safety

import (
	"errors"
	"fmt"

	"github.com/lazchain/lazchain/internal/crypto"
	"github.com/lazchain/lazchain/internal/types"
)

// ErrUnsafe reports a request that could equivocate or break a lock. The
// caller must not retry it; nothing was signed and nothing was stored.
var ErrUnsafe = errors.New("safety: refused")

// Rules signs consensus messages for one validator.
type Rules struct {
	chainID string
	signer  crypto.Signer
	store   Storage
	data    Data
	index   uint32
	// restartRound of restartEpoch is the last round this signer may have
	// proposed in before it was restarted; it proposes only after it.
	restartEpoch, restartRound uint64
}

// New loads persisted data and returns a signer. A corrupt store is an
// error: starting from a guess could sign a conflicting message.
func New(chainID string, signer crypto.Signer, store Storage) (*Rules, error) {
	d, err := store.Load()
	if err != nil {
		return nil, fmt.Errorf("start safety rules: %w", err)
	}
	r := &Rules{chainID: chainID, signer: signer, store: store, data: d}
	// A proposal for the round after a durable vote or timeout may have
	// left before the write that records it (see ProposalCovered), so a
	// restarted signer does not propose in that round again.
	if d.LastVotedRound > 0 {
		r.restartEpoch, r.restartRound = d.Epoch, d.LastVotedRound+1
	}
	return r, nil
}

// ProposalCovered reports whether m, a proposal, may be sent before the write that
// records it, given the signer's data last made durable: its round is the
// one right after a durable vote or timeout, so a signer restarted from
// that data refuses to propose in it again (New). The leader's write,
// megabytes under load, then no longer delays the round: the proposal
// goes out while it is written. A proposal with a TC is not covered: the
// TC may hold this signer's own timeout, signed but not yet written.
func ProposalCovered(durable Data, m types.Message) bool {
	p, ok := m.(*types.Proposal)
	if !ok || p == nil || p.Block == nil || p.TC != nil {
		return false
	}
	return durable.Epoch == p.Block.Epoch && durable.LastVotedRound > 0 && p.Block.Round == durable.LastVotedRound+1
}

// CertifiedCovered reports whether m, a QC announcement, may be sent
// before the write: the QC holds no vote of signer self (its validator
// index, or -1), or the data last made durable records a vote or timeout
// in the QC's round or later. A leader counts its own vote the moment it
// signs it, so a QC formed in the same step aggregates a vote not yet
// written; announced then, a crash before the write would let the
// restarted signer vote again in that round while the QC spoke for it.
func CertifiedCovered(durable Data, self int, m types.Message) bool {
	c, ok := m.(*types.Certified)
	if !ok || c == nil || c.QC == nil {
		return false
	}
	if !c.QC.Signers.Has(self) {
		return true
	}
	return durable.Epoch == c.QC.Epoch && durable.LastVotedRound >= c.QC.Round
}

// Data returns a copy of the current safety data.
func (r *Rules) Data() Data { return r.data }

// PublicKey is the signing key's public half.
func (r *Rules) PublicKey() crypto.PublicKey { return r.signer.PublicKey() }

// StartEpoch moves the signer to epoch, where it has validator index idx.
// Rounds restart at each epoch, so the round state resets; going back to an
// older epoch is refused.
func (r *Rules) StartEpoch(epoch uint64, idx uint32) error {
	if epoch < r.data.Epoch {
		return fmt.Errorf("start epoch %d after epoch %d: %w", epoch, r.data.Epoch, ErrUnsafe)
	}
	if epoch > r.data.Epoch {
		if err := r.persist(Data{Epoch: epoch}); err != nil {
			return err
		}
	}
	// Only once the epoch is accepted and durable: a refused call must not
	// leave later votes signed under another validator's index.
	r.index = idx
	return nil
}

func (r *Rules) persist(d Data) error {
	if err := r.store.Store(d); err != nil {
		return fmt.Errorf("persist safety data: %w", err)
	}
	r.data = d
	return nil
}

func (r *Rules) checkEpoch(epoch uint64) error {
	if epoch != r.data.Epoch {
		return fmt.Errorf("message epoch %d, signer epoch %d: %w", epoch, r.data.Epoch, ErrUnsafe)
	}
	return nil
}

// SignProposal signs b as its proposer. A proposer proposes at most once per
// round and never in a round it already voted or timed out in.
func (r *Rules) SignProposal(b *types.Block) ([]byte, error) {
	if err := r.checkEpoch(b.Epoch); err != nil {
		return nil, err
	}
	if b.Round <= r.data.LastProposedRound || b.Round <= r.data.LastVotedRound || (b.Epoch == r.restartEpoch && b.Round <= r.restartRound) {
		return nil, fmt.Errorf("propose round %d after proposing %d and voting %d: %w",
			b.Round, r.data.LastProposedRound, r.data.LastVotedRound, ErrUnsafe)
	}
	d := r.data
	d.LastProposedRound = b.Round
	if err := r.persist(d); err != nil {
		return nil, err
	}
	return r.signer.Sign(types.ProposalSigningBytes(r.chainID, b.Epoch, b.Round, b.ID())), nil
}

// Vote signs a vote for b. parentQCRound is the round of the QC inside b's
// parent (the two-chain round of b.QC); tc is the timeout certificate of
// round b.Round-1 when b was proposed after a timeout.
func (r *Rules) Vote(b *types.Block, parentQCRound uint64, tc *types.TC) (*types.Vote, error) {
	if err := r.checkEpoch(b.Epoch); err != nil {
		return nil, err
	}
	if v := r.data.LastVote; v != nil && v.Round == b.Round && v.BlockID == b.ID() {
		return v, nil // the same vote again is not equivocation
	}
	if err := r.safeToVote(b, tc); err != nil {
		return nil, err
	}
	vote := &types.Vote{Epoch: b.Epoch, Round: b.Round, BlockID: b.ID(), Voter: r.index}
	d := r.data
	d.LastVotedRound = b.Round
	d.OneChainRound = max(d.OneChainRound, b.QC.Round)
	d.PreferredRound = max(d.PreferredRound, parentQCRound)
	vote.Sig = r.signer.Sign(types.VoteSigningBytes(r.chainID, b.Epoch, b.Round, b.ID()))
	d.LastVote = vote
	if err := r.persist(d); err != nil {
		return nil, err
	}
	return vote, nil
}

// safeToVote is the two-chain rule: vote once per round, only for a block
// that extends the previous round's QC, or, after a timeout, one that
// extends a QC at least as high as any in the TC; never below the lock.
func (r *Rules) safeToVote(b *types.Block, tc *types.TC) error {
	if b.QC == nil {
		return fmt.Errorf("vote on block without qc: %w", ErrUnsafe)
	}
	if b.Round <= r.data.LastVotedRound {
		return fmt.Errorf("vote round %d after round %d: %w", b.Round, r.data.LastVotedRound, ErrUnsafe)
	}
	if b.QC.Round < r.data.PreferredRound {
		return fmt.Errorf("qc round %d below preferred round %d: %w", b.QC.Round, r.data.PreferredRound, ErrUnsafe)
	}
	if b.Round == b.QC.Round+1 {
		return nil
	}
	if tc != nil && tc.Epoch == b.Epoch && b.Round == tc.Round+1 && b.QC.Round >= tc.MaxHQCRound() {
		return nil
	}
	return fmt.Errorf("round %d neither follows qc round %d nor a tc with a lower high qc: %w", b.Round, b.QC.Round, ErrUnsafe)
}

// Timeout signs a timeout for round. hqc must be the caller's highest QC
// and lastTC the TC of round-1 if the caller entered round through one.
func (r *Rules) Timeout(epoch, round uint64, hqc *types.QC, lastTC *types.TC) (*types.Timeout, error) {
	if err := r.checkEpoch(epoch); err != nil {
		return nil, err
	}
	if t := r.data.LastTimeout; t != nil && t.Round == round {
		return t, nil // one timeout per round; repeat it rather than sign another
	}
	if hqc == nil || hqc.Epoch != epoch || hqc.Round >= round || (lastTC != nil && lastTC.Epoch != epoch) {
		return nil, fmt.Errorf("timeout round %d needs a high qc of this epoch below it: %w", round, ErrUnsafe)
	}
	if round < r.data.LastVotedRound {
		return nil, fmt.Errorf("timeout round %d after round %d: %w", round, r.data.LastVotedRound, ErrUnsafe)
	}
	if hqc.Round < r.data.OneChainRound {
		return nil, fmt.Errorf("timeout with qc round %d below seen %d: %w", hqc.Round, r.data.OneChainRound, ErrUnsafe)
	}
	inRound := round == hqc.Round+1 || (lastTC != nil && round == lastTC.Round+1)
	if !inRound {
		return nil, fmt.Errorf("timeout round %d with qc round %d and no tc for round %d: %w", round, hqc.Round, round-1, ErrUnsafe)
	}
	t := &types.Timeout{Epoch: epoch, Round: round, HighQC: hqc, LastTC: lastTC, Voter: r.index}
	t.Sig = r.signer.Sign(types.TimeoutSigningBytes(r.chainID, epoch, round, hqc.Round))
	d := r.data
	d.LastVotedRound = round
	d.OneChainRound = hqc.Round
	d.LastTimeout = t
	if err := r.persist(d); err != nil {
		return nil, err
	}
	return t, nil
}
