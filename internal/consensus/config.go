package consensus

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/types"
)

// Signer signs consensus messages and enforces the voting rules.
// *safety.Rules implements it; the simulator injects Byzantine ones.
type Signer interface {
	SignProposal(b *types.Block) ([]byte, error)
	Vote(b *types.Block, parentQCRound uint64, tc *types.TC) (*types.Vote, error)
	Timeout(epoch, round uint64, hqc *types.QC, lastTC *types.TC) (*types.Timeout, error)
}

// Config fixes a core's identity and timing.
type Config struct {
	Set  *types.ValidatorSet
	Self int // index in Set, or -1 for a node that follows but never votes

	// Root is the block the epoch starts from: types.EpochRoot of the block
	// that ended the previous epoch, or nil for the chain's genesis block.
	Root *types.Block
	// EndHeight is the epoch's last height, 0 if it never ends. Blocks above
	// it may still be proposed and certified, because the two-chain rule
	// needs descendants to commit the last block, but they carry no
	// transactions and are never committed: the next epoch starts from the
	// block at EndHeight.
	EndHeight uint64

	// BaseTimeout is the round timer in driver ticks after progress;
	// consecutive timeouts double it up to MaxTimeout.
	BaseTimeout uint64
	MaxTimeout  uint64

	// KeepCommitted is how many committed blocks below the committed head
	// stay in memory (for block requests the core answers itself, as in
	// tests; a node serves them from its store). With TrackState, blocks
	// above the driver's executed height stay regardless.
	KeepCommitted int
	// FetchBatch is how many ancestors one block request asks for.
	FetchBatch uint32
	// AuthenticatedSenders says the transport proves who sent each message
	// (p2p pins every connection to a validator's node key). A proposal
	// that arrives straight from its proposer then needs no BLS check of
	// its signature — about 0.75 ms saved per validator per round; relayed
	// proposals are still checked.
	AuthenticatedSenders bool
	// BroadcastVotes sends each vote to every validator instead of only
	// the next leader. Every validator then forms the QC itself, so it
	// learns the QC, and the commit it proves, when the votes arrive
	// rather than a leader's proposal-building and a message later. It
	// costs N² vote messages and one aggregate check per validator per
	// round, plus the check of the next proposal's QC whenever the leader
	// aggregated another quorum than this validator did (only a bit-for-bit
	// copy of a verified QC skips its check). BroadcastVotesUpTo is the
	// largest set for which drivers may turn it on.
	BroadcastVotes bool

	// TrackState makes the core stamp its proposals with the latest
	// execution result the driver reported (Executed events) and vote only
	// for blocks whose result matches its own, waiting for its driver to
	// catch up when a block vouches for a height it has not executed yet.
	// Executed is the driver's latest result when the core is built.
	TrackState bool
	Executed   []types.StateRef // recent results, oldest first

	// MaxParkedBytes bounds the bytes of blocks parked while their parents
	// are fetched (their encoded size, from above); 0 is DefaultMaxParkedBytes.
	MaxParkedBytes int
}

// DefaultMaxParkedBytes is the parked blocks' byte bound of a core whose
// config sets none. A node catching up parks the whole gap while it
// fetches down to a block it knows, so the bound is a quarter of the
// node's 4 GiB memory limit: at 20,000 tx/s the count bound (4,096
// parents) trips first, and the byte bound stops large blocks from
// holding more (the count bounds alone would let 16 MiB blocks hold a
// terabyte). Past either bound, sync recovers as it does past the count.
const DefaultMaxParkedBytes = 1 << 30

// BroadcastVotesUpTo is the largest validator set for which drivers may
// turn on BroadcastVotes: beyond it, decoding N-1 votes per round at every
// validator costs more than the message it saves.
const BroadcastVotesUpTo = 16

func (c *Config) check() error {
	if c.Set == nil {
		return fmt.Errorf("consensus config: no validator set")
	}
	if c.Self < -1 || c.Self >= c.Set.Len() {
		return fmt.Errorf("consensus config: self index %d outside set of %d", c.Self, c.Set.Len())
	}
	if c.BaseTimeout == 0 || c.MaxTimeout < c.BaseTimeout {
		return fmt.Errorf("consensus config: timeouts base %d max %d", c.BaseTimeout, c.MaxTimeout)
	}
	if c.Root != nil && (c.Root.Epoch != c.Set.Epoch || !c.Root.IsRoot()) {
		return fmt.Errorf("consensus config: root is not a round-0 block of epoch %d", c.Set.Epoch)
	}
	if c.EndHeight != 0 && c.EndHeight <= c.root().Height {
		return fmt.Errorf("consensus config: end height %d not above root height %d", c.EndHeight, c.root().Height)
	}
	if c.KeepCommitted <= 0 {
		c.KeepCommitted = 256
	}
	if c.MaxParkedBytes <= 0 {
		c.MaxParkedBytes = DefaultMaxParkedBytes
	}
	if c.FetchBatch == 0 || c.FetchBatch > types.MaxFetchBlocks {
		c.FetchBatch = types.MaxFetchBlocks
	}
	return nil
}

func (c *Config) root() *types.Block {
	if c.Root != nil {
		return c.Root
	}
	return types.GenesisBlock(c.Set.ChainID, c.Set.Epoch)
}

// beyondEnd reports whether height lies past the epoch's last block.
func (c *Config) beyondEnd(height uint64) bool {
	return c.EndHeight != 0 && height > c.EndHeight
}

// Snapshot is what a restarted core recovers from the driver's store.
type Snapshot struct {
	Committed *types.Block   // last committed block; genesis when fresh
	Blocks    []*types.Block // stored blocks above Committed, any order
	// Recent are the committed blocks just below Committed, oldest first,
	// up to RecentNeeded of them and none from an earlier epoch. Without
	// them a restarted core weighs leaders as if every validator were
	// alive until it has seen enough commits (see reputation).
	Recent []*types.Block
	HighQC *types.QC
	// HighTC is the highest TC seen, or nil. Without it a restarted core
	// would go back to the round after its high QC, where its signer,
	// having timed out later rounds, may refuse to sign anything.
	HighTC *types.TC
}
