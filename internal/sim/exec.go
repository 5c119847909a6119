package sim

import (
	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/types"
)

// execRef stands in for executing b: a result that every honest node
// derives alike from the committed chain, so the cores' execution checks
// (vote only for blocks whose vouched result matches ours, wait for our
// own execution to catch up) run in every simulation.
func execRef(b *types.Block) types.StateRef {
	if b.Height == 0 {
		return types.StateRef{}
	}
	id := b.ID()
	return types.StateRef{Height: b.Height, Root: types.HashOf(id[:]), Events: types.HashOf(append([]byte("events"), id[:]...))}
}

// executeAll reports the committed blocks' results to the core, as a node
// does after applying them.
func executeAll(core *consensus.Core, committed []*types.Block) {
	for _, b := range committed {
		core.Step(&consensus.Executed{Ref: execRef(b)})
	}
}
