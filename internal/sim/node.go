package sim

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/crypto"
	"github.com/lazchain/lazchain/internal/safety"
	"github.com/lazchain/lazchain/internal/types"
)

// honest marks a node that runs the protocol as written.
const honest Behaviour = -1

// disk is what survives a simulated crash: the safety data, and the blocks,
// high QC and last commit the core asked to persist.
type disk struct {
	safety    *safety.MemStorage // durable: what the signer's writes reached
	signer    *pendingSafety     // the running process's view: lost in a crash
	blocks    []*types.Block
	seen      map[types.Hash]*types.Block
	highQC    *types.QC
	highTC    *types.TC
	committed *types.Block
	chain     []*types.Block   // the committed blocks from height 1, in order
	refs      []types.StateRef // execution results of the committed blocks
	lastVoted uint64           // for the deliberately broken signer only
}

// pendingSafety holds the signer's latest data until the driver's next
// write, as the node's store does: a crash before that write loses it.
type pendingSafety struct {
	durable *safety.MemStorage
	pending *safety.Data
}

func (p *pendingSafety) Load() (safety.Data, error) { return p.durable.Load() }

func (p *pendingSafety) Store(d safety.Data) error {
	p.pending = &d
	return nil
}

// write makes the pending data durable.
func (p *pendingSafety) write() {
	if p.pending != nil {
		p.durable.Store(*p.pending)
		p.pending = nil
	}
}

// recentRefs is what a restarted node's store gives its core: the results
// of its last committed blocks.
func (d *disk) recentRefs() []types.StateRef {
	return d.refs[max(0, len(d.refs)-16):]
}

// node is one simulated validator process. Twins are two nodes with the
// same validator index and key.
type node struct {
	id        int
	index     int
	behaviour Behaviour
	key       crypto.Signer
	up        bool
	core      *consensus.Core
	disk      *disk
	timerGen  uint64
	// payloadSince is when the core last asked for a payload: a leader
	// waiting for late votes proposes by then plus stragglerWait.
	payloadSince uint64
	height       uint64     // last committed height
	tip          types.Hash // last committed id
}

func (n *node) byzantine() bool { return n.behaviour != honest }

// boot builds the core from the node's disk, as a restarted process would.
func (s *simulation) boot(n *node) error {
	n.disk.signer = &pendingSafety{durable: n.disk.safety}
	rules, err := safety.New(s.set.ChainID, n.key, n.disk.signer)
	if err != nil {
		return fmt.Errorf("node %d safety rules: %w", n.id, err)
	}
	if err := rules.StartEpoch(s.set.Epoch, uint32(n.index)); err != nil {
		return fmt.Errorf("node %d: %w", n.id, err)
	}
	var signer consensus.Signer = rules
	switch {
	case n.behaviour == DoubleVoter:
		signer = &rawSigner{chainID: s.set.ChainID, key: n.key, index: uint32(n.index)}
	case !n.byzantine() && s.cfg.BrokenVoting:
		signer = &brokenSigner{Rules: rules, chainID: s.set.ChainID, key: n.key, index: uint32(n.index), disk: n.disk}
	}
	var blocks []*types.Block
	for _, b := range n.disk.blocks {
		if b.Height > n.disk.committed.Height {
			blocks = append(blocks, b)
		}
	}
	core, err := consensus.New(consensus.Config{
		Set: s.set, Self: n.index,
		BaseTimeout: s.cfg.BaseTimeout, MaxTimeout: s.cfg.MaxTimeout,
		KeepCommitted: 32, // as the node: laggards are served from disk
		TrackState:    !s.cfg.BrokenVoting, Executed: n.disk.recentRefs(),
		// Half the seeds run each way of sending votes.
		BroadcastVotes: s.cfg.Seed%2 == 0,
	}, signer, consensus.Snapshot{Committed: n.disk.committed, Blocks: blocks, Recent: n.disk.recent(), HighQC: n.disk.highQC, HighTC: n.disk.highTC})
	if err != nil {
		return fmt.Errorf("node %d core: %w", n.id, err)
	}
	n.core = core
	n.up = true
	n.height, n.tip = n.disk.committed.Height, n.disk.committed.ID()
	core.Start()
	return nil
}

// persist stores what Ready asks to keep, before anything is sent.
func (d *disk) persist(r *consensus.Ready) {
	if d.signer != nil {
		d.signer.write()
	}
	for _, b := range r.Blocks {
		if d.seen[b.ID()] == nil {
			d.seen[b.ID()] = b
			d.blocks = append(d.blocks, b)
		}
	}
	if r.HighQC != nil {
		d.highQC = r.HighQC
	}
	if r.HighTC != nil {
		d.highTC = r.HighTC
	}
	if n := len(r.Committed); n > 0 {
		d.committed = r.Committed[n-1]
		d.chain = append(d.chain, r.Committed...)
	}
	for _, b := range r.Committed {
		d.refs = append(d.refs, execRef(b))
	}
}

// serve answers a block request from the disk, as a node answers from its
// store: a restarted core holds only uncommitted blocks, but peers that
// fell behind need the committed ones.
func (d *disk) serve(q *types.BlockRequest) *types.BlockResponse {
	var out []*types.Block
	for b := d.seen[q.ID]; b != nil && len(out) < int(min(q.Count, types.MaxFetchBlocks)); b = d.seen[b.Parent] {
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil
	}
	return &types.BlockResponse{Blocks: out}
}

// recent returns the committed blocks just below the committed one, as
// the node's store does for a restart.
func (d *disk) recent() []*types.Block {
	h := int(d.committed.Height) // d.chain[h-1] is the committed block
	if h < 1 || h > len(d.chain) || d.chain[h-1].ID() != d.committed.ID() {
		return nil
	}
	return d.chain[max(0, h-1-consensus.RecentNeeded) : h-1]
}

// serveChain answers a climb from the committed chain on the disk.
func (d *disk) serveChain(q *types.ChainRequest) *types.BlockResponse {
	i := int(q.From) - 1
	if q.From == 0 || i >= len(d.chain) || d.chain[i].Height != q.From {
		return nil
	}
	return &types.BlockResponse{Blocks: consensus.ChainAnswer(d.chain[i:], q.Count)}
}

// rawSigner signs anything: the Byzantine signer injected into a double
// voter. It is the only way a simulated validator gets around safety rules.
type rawSigner struct {
	chainID string
	key     crypto.Signer
	index   uint32
}

func (r *rawSigner) SignProposal(b *types.Block) ([]byte, error) {
	return r.key.Sign(types.ProposalSigningBytes(r.chainID, b.Epoch, b.Round, b.ID())), nil
}

func (r *rawSigner) Vote(b *types.Block, _ uint64, _ *types.TC) (*types.Vote, error) {
	return r.vote(b.Epoch, b.Round, b.ID()), nil
}

func (r *rawSigner) vote(epoch, round uint64, id types.Hash) *types.Vote {
	sig := r.key.Sign(types.VoteSigningBytes(r.chainID, epoch, round, id))
	return &types.Vote{Epoch: epoch, Round: round, BlockID: id, Voter: r.index, Sig: sig}
}

func (r *rawSigner) Timeout(epoch, round uint64, hqc *types.QC, tc *types.TC) (*types.Timeout, error) {
	sig := r.key.Sign(types.TimeoutSigningBytes(r.chainID, epoch, round, hqc.Round))
	return &types.Timeout{Epoch: epoch, Round: round, HighQC: hqc, LastTC: tc, Voter: r.index, Sig: sig}, nil
}

// brokenSigner votes once per round but skips the lock and two-chain
// checks. It exists to prove the checker catches an unsafe rule.
type brokenSigner struct {
	*safety.Rules
	chainID string
	key     crypto.Signer
	index   uint32
	disk    *disk
}

func (b *brokenSigner) Vote(blk *types.Block, _ uint64, _ *types.TC) (*types.Vote, error) {
	if blk.Round <= b.disk.lastVoted {
		return nil, safety.ErrUnsafe
	}
	b.disk.lastVoted = blk.Round
	r := rawSigner{chainID: b.chainID, key: b.key, index: b.index}
	return r.vote(blk.Epoch, blk.Round, blk.ID()), nil
}
