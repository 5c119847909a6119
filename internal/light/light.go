package light

import (
	"errors"
	"fmt"

	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/types"
)

// ErrUnproven reports an epoch that its certificate does not prove.
var ErrUnproven = errors.New("light: epoch not proven")

// Step is one epoch as a node serves it: the claimed set and bounds, and
// the certificate of the change into it.
type Step struct {
	Epoch *state.Epoch
	Cert  *types.EpochCert
}

// Follow checks steps in order, starting from the genesis epoch (number 0,
// from the genesis file), and returns the last proven epoch. Every step
// must be the next epoch, its set must hash to what the certificate
// signs, and the certificate must carry a quorum of the previous set.
func Follow(chainID string, genesis *state.Epoch, steps []Step) (*state.Epoch, error) {
	cur := genesis
	for _, s := range steps {
		next, err := Next(chainID, cur, s)
		if err != nil {
			return cur, err
		}
		cur = next
	}
	return cur, nil
}

// Next checks one step from the trusted epoch cur.
func Next(chainID string, cur *state.Epoch, s Step) (*state.Epoch, error) {
	e, c := s.Epoch, s.Cert
	switch {
	case e == nil || c == nil:
		return nil, fmt.Errorf("epoch after %d has no certificate: %w", cur.Number, ErrUnproven)
	case e.Number != cur.Number+1 || c.Change.Epoch != e.Number:
		return nil, fmt.Errorf("epoch %d (certificate for %d) does not follow epoch %d: %w", e.Number, c.Change.Epoch, cur.Number, ErrUnproven)
	case c.Change != e.Change():
		return nil, fmt.Errorf("epoch %d: the served set or bounds differ from what the certificate signs: %w", e.Number, ErrUnproven)
	case e.EndHeight != e.LastHeight+(cur.EndHeight-cur.LastHeight):
		// Epochs all have the genesis length, so the end height follows
		// from what the certificate signs; a served one must match it.
		return nil, fmt.Errorf("epoch %d: served end height %d, but it starts after %d and epochs are %d blocks: %w",
			e.Number, e.EndHeight, e.LastHeight, cur.EndHeight-cur.LastHeight, ErrUnproven)
	}
	set, err := cur.ValidatorSet(chainID)
	if err != nil {
		return nil, fmt.Errorf("epoch %d set: %w", cur.Number, err)
	}
	if err := c.Verify(set); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnproven, err)
	}
	return e, nil
}
