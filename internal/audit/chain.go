package audit

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/crypto"
	"github.com/lazchain/lazchain/internal/light"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/types"
)

// ChainVerifier checks committed headers in order from height 1, the way
// a light client follows the chain: each header's parent is the header
// before it (or, at an epoch change, the new epoch's root block, which the
// change certificate ties to the last block of the old epoch), and each
// header's QC certifies its parent with its epoch's validator set.
type ChainVerifier struct {
	chainID string
	epoch   *state.Epoch
	set     *types.ValidatorSet
	prev    *types.Header
	step    func(n uint64) (light.Step, error)
	pending []pendingQC
	// Certified counts headers whose certificate has been checked: all but
	// the latest, whose QC is in the header that follows it.
	Certified uint64
}

// pendingQC is a QC whose shape and stake are checked and whose signature
// waits for the next batch.
type pendingQC struct {
	height uint64
	set    *types.ValidatorSet
	qc     *types.QC
}

// qcBatch is how many QC signatures are checked together: one final
// exponentiation for the lot, and blst spreads the Miller loops over the
// cores.
const qcBatch = 256

// NewChainVerifier starts from the genesis epoch; step fetches the
// change into epoch n when the chain reaches it.
func NewChainVerifier(chainID string, genesis *state.Epoch, step func(n uint64) (light.Step, error)) (*ChainVerifier, error) {
	set, err := genesis.ValidatorSet(chainID)
	if err != nil {
		return nil, fmt.Errorf("genesis set: %w", err)
	}
	return &ChainVerifier{chainID: chainID, epoch: genesis, set: set, step: step}, nil
}

// Epoch is the epoch the verifier has reached.
func (v *ChainVerifier) Epoch() *state.Epoch { return v.epoch }

// Add checks the next header.
func (v *ChainVerifier) Add(h *types.Header) error {
	want := uint64(1)
	if v.prev != nil {
		want = v.prev.Height + 1
	}
	if h.Height != want {
		return failf("header chain", "got height %d, want %d", h.Height, want)
	}
	if h.Epoch != v.epoch.Number {
		if err := v.enter(h.Epoch); err != nil {
			return err
		}
	}
	if h.Height > v.epoch.EndHeight {
		return failf("header chain", "height %d beyond the end %d of epoch %d", h.Height, v.epoch.EndHeight, v.epoch.Number)
	}
	parent := v.epoch.Root(v.chainID).ID()
	if v.prev != nil && v.prev.Epoch == h.Epoch {
		parent = v.prev.ID()
	}
	if h.Parent != parent || h.QC == nil || h.QC.BlockID != parent {
		return failf("header chain", "height %d does not extend %s", h.Height, parent.Short())
	}
	if err := v.queue(h); err != nil {
		return err
	}
	if v.prev != nil && h.QC.Round > 0 {
		if h.QC.Round != v.prev.Round {
			return failf("commit certificate", "height %d's QC is for round %d, its parent is round %d", h.Height, h.QC.Round, v.prev.Round)
		}
		v.Certified++
	}
	v.prev = h
	return nil
}

// enter follows the change certificate into epoch n, which must start
// right after the last header checked.
func (v *ChainVerifier) enter(n uint64) error {
	if n != v.epoch.Number+1 || v.prev == nil {
		return failf("epoch chain", "header jumps from epoch %d to %d", v.epoch.Number, n)
	}
	s, err := v.step(n)
	if err != nil {
		return failf("epoch chain", "fetch epoch %d: %v", n, err)
	}
	e, err := light.Next(v.chainID, v.epoch, s)
	if err != nil {
		return failf("epoch chain", "%v", err)
	}
	if e.LastHeight != v.prev.Height || e.LastBlock != v.prev.ID() {
		return failf("epoch chain", "epoch %d starts after block %d %s, the chain's is %d %s", n, e.LastHeight, e.LastBlock.Short(), v.prev.Height, v.prev.ID().Short())
	}
	set, err := e.ValidatorSet(v.chainID)
	if err != nil {
		return failf("epoch chain", "epoch %d set: %v", n, err)
	}
	v.epoch, v.set = e, set
	v.Certified++ // the change certificate signs the old epoch's last block
	return nil
}

// queue checks what a QC claims without a pairing (epoch, signer bitmap
// size, stake) and queues its signature; a round-0 QC (an epoch's root)
// has no signature and is checked at once.
func (v *ChainVerifier) queue(h *types.Header) error {
	qc := h.QC
	if qc.Round == 0 {
		if err := qc.Verify(v.set, v.epoch.Root(v.chainID).ID()); err != nil {
			return failf("commit certificate", "height %d's QC: %v", h.Height, err)
		}
		return nil
	}
	if qc.Epoch != v.set.Epoch {
		return failf("commit certificate", "height %d's QC is of epoch %d, the set of epoch %d", h.Height, qc.Epoch, v.set.Epoch)
	}
	if err := qc.Signers.CheckSize(v.set.Len()); err != nil {
		return failf("commit certificate", "height %d's QC: %v", h.Height, err)
	}
	if got := v.set.BitmapStake(qc.Signers); got < v.set.QuorumStake() {
		return failf("commit certificate", "height %d's QC carries stake %d of %d, need %d", h.Height, got, v.set.TotalStake(), v.set.QuorumStake())
	}
	v.pending = append(v.pending, pendingQC{height: h.Height, set: v.set, qc: qc})
	if len(v.pending) >= qcBatch {
		return v.Flush()
	}
	return nil
}

// batchVerifier is a scheme that checks many aggregates at once
// (bls.Scheme); others are checked one QC at a time.
type batchVerifier interface {
	VerifyAggregates(pks [][]crypto.PublicKey, msgs, sigs [][]byte) bool
}

// Flush checks the queued QC signatures; call it after the last header.
// A failed batch is checked one QC at a time to name the bad one.
func (v *ChainVerifier) Flush() error {
	p := v.pending
	v.pending = v.pending[:0]
	if len(p) == 0 {
		return nil
	}
	pks := make([][]crypto.PublicKey, len(p))
	msgs, sigs := make([][]byte, len(p)), make([][]byte, len(p))
	for i, q := range p {
		for _, j := range q.qc.Signers.Indices() {
			pks[i] = append(pks[i], q.set.Validators[j].PubKey)
		}
		msgs[i] = types.VoteSigningBytes(v.chainID, q.qc.Epoch, q.qc.Round, q.qc.BlockID)
		sigs[i] = q.qc.Sig
	}
	if bv, ok := p[0].set.Scheme.(batchVerifier); ok && bv.VerifyAggregates(pks, msgs, sigs) {
		return nil
	}
	for _, q := range p {
		if err := q.qc.Verify(q.set, types.Hash{}); err != nil {
			return failf("commit certificate", "height %d's QC: %v", q.height, err)
		}
	}
	return failf("commit certificate", "a batch of %d QCs failed but none alone", len(p))
}
