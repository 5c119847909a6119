package node

import (
	"errors"
	"fmt"

	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

// catchUpState executes the committed blocks the state has not. The
// driver commits a block in one synced write and writes the state of
// executing it afterwards, once its votes have left, so a crash between
// the two leaves the state a few heights behind the committed tip.
// Execution is deterministic, so running those blocks again yields the
// state the node had, and it must happen before anything reads the state
// (the epoch, the validator set, the results the core vouches for).
func (n *Node) catchUpState() error {
	tip, _, err := n.store.Tip()
	if errors.Is(err, store.ErrNotFound) {
		return nil // nothing committed yet
	}
	if err != nil {
		return fmt.Errorf("read committed tip: %w", err)
	}
	from := n.machine.Height() + 1
	if from > tip+1 {
		return fmt.Errorf("state executed to height %d, past the committed tip %d", from-1, tip)
	}
	for h := from; h <= tip; h++ {
		b, err := n.store.BlockAt(h)
		if err != nil {
			return fmt.Errorf("re-execute committed height %d: %w", h, err)
		}
		if err := n.store.WriteState(n.machine.Apply([]*types.Block{b}), h == tip); err != nil {
			return fmt.Errorf("re-execute committed height %d: %w", h, err)
		}
		n.machine.Flushed()
	}
	if from <= tip {
		n.log.Info("re-executed committed blocks the state lacked", "from", from, "to", tip)
	}
	return nil
}
