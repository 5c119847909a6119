package audit

import (
	"fmt"

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
	// Certified counts headers whose certificate has been checked: all but
	// the latest, whose QC is in the header that follows it.
	Certified uint64
}

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
	if err := h.QC.Verify(v.set, v.epoch.Root(v.chainID).ID()); err != nil {
		return failf("commit certificate", "height %d's QC: %v", h.Height, err)
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
