package consensus

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/types"
)

// Core is one validator's consensus state machine.
type Core struct {
	cfg     Config
	set     *types.ValidatorSet
	signer  Signer
	genesis types.Hash

	round  uint64
	highQC *types.QC
	lastTC *types.TC // TC of round-1 when the round was entered by timeout
	highTC *types.TC // highest TC seen; persisted so a restart resumes its round
	// commitQC proved this core's latest commit. If the chain moved on
	// above it on another branch, no message carries it any more, and the
	// nodes that missed it keep a lower committed height: the leader draw,
	// weighed by committed blocks, then differs between honest nodes, and
	// each drops the others' leaders' proposals. A timeout sends it along.
	commitQC   *types.QC
	backoff    uint // consecutive rounds entered by timeout
	timerTicks uint64

	tree            *tree
	pending         map[types.Hash][]*pendingProposal // proposals waiting for a parent
	parkedBytes     int                               // sizes of the blocks in pending
	stash           map[types.Hash]*pendingProposal   // stale proposals' blocks, until a QC names them
	stashBytes      int                               // sizes of the blocks in stash
	fetching        map[types.Hash]*fetchState        // outstanding block requests
	climb           *climbState                       // outstanding request up the committed chain
	verified        map[types.Hash]*types.QC          // blocks -> the one QC for them already verified
	strikes         map[int]strike                    // forged certificates per sender this round (strikes.go)
	proposed        uint64                            // last round this core proposed in
	requested       uint64                            // last round a payload was requested for
	requestedParent types.Hash                        // the block that payload was chosen to extend
	proposals       map[uint64]seenProposal           // first proposal per recent round
	announced       uint64                            // last round whose announced QC was checked
	votes           *voteBook
	timeouts        *timeoutBook

	exec *execRefs   // execution results, when cfg.TrackState
	rep  *reputation // who leads each round
	late *lateVotes  // votes for the QC the next proposal carries, with late ones
	// lateSuspects sent a bad late vote: their late votes are checked
	// alone, so they cannot spoil an aggregate again.
	lateSuspects map[uint32]bool

	ready Ready
	stats Stats
}

// pendingProposal is a proposal, or a fetched block, parked until its
// parent arrives.
type pendingProposal struct {
	from    int
	p       *types.Proposal
	fetched *types.Block
	size    int // the block's encoded size, from above
}

func (w *pendingProposal) block() *types.Block {
	if w.fetched != nil {
		return w.fetched
	}
	return w.p.Block
}

// New builds a core from cfg and the driver's recovered snapshot. genesis
// is the id of the epoch's genesis block.
func New(cfg Config, signer Signer, snap Snapshot) (*Core, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if snap.Committed == nil || snap.HighQC == nil {
		return nil, fmt.Errorf("consensus: snapshot needs a committed block and a high qc")
	}
	c := &Core{
		cfg: cfg, set: cfg.Set, signer: signer,
		highQC:       snap.HighQC,
		highTC:       snap.HighTC,
		tree:         newTree(snap.Committed),
		pending:      map[types.Hash][]*pendingProposal{},
		stash:        map[types.Hash]*pendingProposal{},
		fetching:     map[types.Hash]*fetchState{},
		verified:     map[types.Hash]*types.QC{},
		strikes:      map[int]strike{},
		lateSuspects: map[uint32]bool{},
		votes:        newVoteBook(),
		proposals:    map[uint64]seenProposal{},
		timeouts:     newTimeoutBook(),
	}
	c.genesis = c.cfg.root().ID()
	c.rep = seedReputation(cfg.Set, snap.Recent, snap.Committed)
	if cfg.TrackState {
		c.exec = newExecRefs(cfg.Executed)
	}
	c.insertRecovered(snap.Blocks)
	return c, nil
}

// insertRecovered adds stored blocks parent-first; order in the store is
// arbitrary, so it sweeps until no block can be added.
func (c *Core) insertRecovered(blocks []*types.Block) {
	left := blocks
	for progress := true; progress && len(left) > 0; {
		progress = false
		var next []*types.Block
		for _, b := range left {
			if c.tree.has(b.Parent) && b.Height > c.tree.committed.Height {
				c.tree.add(b)
				progress = true
			} else if !c.tree.has(b.ID()) {
				next = append(next, b)
			}
		}
		left = next
	}
}

// Start enters the first round after (re)start: the round after the high
// QC. The driver calls it once, then takes Ready.
func (c *Core) Start() {
	if tc := c.highTC; tc != nil && tc.Round > c.highQC.Round {
		c.enterRound(tc.Round+1, tc, true)
		return
	}
	c.enterRound(c.highQC.Round+1, nil, false)
}

// Step applies one event.
func (c *Core) Step(ev Event) {
	switch e := ev.(type) {
	case *Receive:
		c.receive(e.From, e.Msg)
	case *TimerFired:
		c.onTimer(e.Round)
	case *PayloadReady:
		c.onPayload(e.Round, e.Txs)
	case *Executed:
		c.onExecuted(e.Ref)
	}
}

func (c *Core) receive(from int, m types.Message) {
	switch msg := m.(type) {
	case *types.Proposal:
		c.onProposal(from, msg)
	case *types.Vote:
		c.onVote(from, msg)
	case *types.Timeout:
		c.onTimeout(from, msg)
	case *types.BlockRequest:
		c.onBlockRequest(from, msg)
	case *types.ChainRequest:
		c.onChainRequest(from, msg)
	case *types.BlockResponse:
		c.onBlockResponse(from, msg)
	case *types.EpochProof:
		c.onEpochProof(msg)
	case *types.Certified:
		c.onCertified(from, msg.QC)
	default:
		c.drop(DropInvalid)
	}
}

// Ready returns the actions accumulated since the last call.
func (c *Core) Ready() Ready {
	r := c.ready
	c.ready = Ready{}
	return r
}

// Round returns the current round.
func (c *Core) Round() uint64 { return c.round }

// HighQC returns the highest QC known.
func (c *Core) HighQC() *types.QC { return c.highQC }

// Committed returns the last committed block.
func (c *Core) Committed() *types.Block { return c.tree.committed }

// Ended reports whether the epoch's last block is committed: the driver
// then moves to the next epoch's core.
func (c *Core) Ended() bool {
	// Blocks committed but not yet handed out in a Ready are not the
	// driver's yet, so the epoch has not ended for it.
	return c.cfg.EndHeight != 0 && c.tree.committed.Height >= c.cfg.EndHeight && len(c.ready.Committed) == 0
}

// Parked returns how many blocks wait for a missing parent.
func (c *Core) Parked() int {
	n := 0
	for _, ws := range c.pending {
		n += len(ws)
	}
	return n
}

// Stats returns counters.
func (c *Core) Stats() Stats {
	s := c.stats
	s.Demotions = c.rep.demotions
	return s
}

// Block returns a known block, or nil.
func (c *Core) Block(id types.Hash) *types.Block { return c.tree.get(id) }

func (c *Core) drop(d Drop) { c.stats.Dropped[d]++ }

func (c *Core) send(to int, m types.Message) {
	c.ready.Messages = append(c.ready.Messages, Outbound{To: to, Msg: m})
}

func (c *Core) isValidator() bool { return c.cfg.Self >= 0 }
