package sim

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"math/rand/v2"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
)

// EpochConfig describes a run across many epochs: validators join by
// create-validator and leave by unbonding, the set changes at every
// boundary, and (with Twins) one validator's key runs on two nodes, double
// votes, and must be caught, slashed and voted out.
//
// Every node runs the real staking state machine on the blocks it
// commits; only transaction signatures are skipped (the simulator is the
// point, and consensus and staking signatures are real BLS).
type EpochConfig struct {
	Seed        uint64
	Validators  int    // genesis validators, at least 4
	Candidates  int    // nodes that follow as full nodes and may join
	Epochs      uint64 // the run ends when every honest node reaches this epoch
	EpochLength uint64
	Twins       bool // genesis validator 0 runs as two nodes
	Network     bool // loss, duplication and wide delays
	Partitions  bool // cut one node off for a while, once per epoch
	Crashes     bool // crash a node once per epoch and restart it from its disk later
	BaseTimeout uint64
	MaxTimeout  uint64
}

func (c EpochConfig) withDefaults() EpochConfig {
	if c.Validators == 0 {
		c.Validators = 4
	}
	if c.Epochs == 0 {
		c.Epochs = 8
	}
	if c.EpochLength == 0 {
		c.EpochLength = 8
	}
	if c.BaseTimeout == 0 {
		c.BaseTimeout = 400
	}
	if c.MaxTimeout == 0 {
		c.MaxTimeout = 8 * c.BaseTimeout
	}
	return c
}

// ReplayCommand reruns this configuration.
func (c EpochConfig) ReplayCommand() string {
	cmd := fmt.Sprintf("lazchain sim epochs --seed %d --seeds 1 --validators %d --candidates %d --epochs %d --epoch-length %d",
		c.Seed, c.Validators, c.Candidates, c.Epochs, c.EpochLength)
	if c.Twins {
		cmd += " --twins"
	}
	if c.Network {
		cmd += " --network"
	}
	if c.Partitions {
		cmd += " --partitions"
	}
	if c.Crashes {
		cmd += " --crashes"
	}
	return cmd
}

// EpochResult is what a multi-epoch run found.
type EpochResult struct {
	Config     EpochConfig
	Violations []string
	Epoch      uint64 // lowest epoch an honest node reached
	Height     uint64 // highest honest committed height
	Joined     int    // create-validator transactions that executed
	Left       int    // validators that unbonded out
	SetChanges int    // epochs whose set differs from the one before
	Evidence   int    // evidence transactions that slashed
	Crashes    int    // nodes crashed and restarted
	TwinOut    bool   // the twins' validator was jailed and left the set
	Messages   uint64
	Steps      uint64
	TraceHash  [32]byte
}

// Failed reports whether the run broke an invariant.
func (r *EpochResult) Failed() bool { return len(r.Violations) > 0 }

type epochSim struct {
	cfg    EpochConfig
	rng    *rand.Rand
	sched  scheduler
	nodes  []*enode
	params staking.Params
	gen    []staking.GenesisValidator
	trace  hash.Hash
	res    EpochResult

	pending  []*types.Tx                // submitted, not yet executed everywhere
	nonces   map[staking.Address]uint64 // next nonce per submitting account
	reported map[[3]uint64]bool         // (epoch, round, voter) already turned into evidence
	counted  map[types.Hash]bool        // txs whose outcome is already counted

	heights   map[uint64]types.Hash // block committed at each height by honest nodes
	states    map[uint64]types.Hash // staking state after each height
	scripted  uint64                // highest epoch whose script ran
	cut       int                   // node cut off, or -1
	healAt    uint64
	lastSetOf map[uint64]types.Hash // epoch -> set hash, to count changes
}

// RunEpochs executes one multi-epoch simulation.
func RunEpochs(cfg EpochConfig) EpochResult {
	cfg = cfg.withDefaults()
	s := &epochSim{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0xe90c4)), trace: sha256.New(),
		nonces: map[staking.Address]uint64{}, reported: map[[3]uint64]bool{}, counted: map[types.Hash]bool{},
		heights: map[uint64]types.Hash{}, states: map[uint64]types.Hash{}, cut: -1, lastSetOf: map[uint64]types.Hash{}}
	s.res.Config = cfg
	if err := s.setup(); err != nil {
		s.fail("setup: %v", err)
		return s.res
	}
	s.loop()
	s.finish()
	return s.res
}

func (s *epochSim) fail(format string, args ...any) {
	if len(s.res.Violations) < 20 {
		s.res.Violations = append(s.res.Violations, fmt.Sprintf("t=%dms: ", s.sched.now)+fmt.Sprintf(format, args...))
	}
}

// setup draws keys, writes genesis, and boots every node in epoch 0.
func (s *epochSim) setup() error {
	if s.cfg.Validators < 4 {
		return fmt.Errorf("need at least 4 genesis validators, have %d", s.cfg.Validators)
	}
	s.params = staking.DefaultParams()
	s.params.EpochLength = s.cfg.EpochLength
	s.params.UnbondingBlocks = 3 * s.cfg.EpochLength
	s.params.JailEpochs = 1000 // a caught double signer stays out
	total := s.cfg.Validators + s.cfg.Candidates
	seed := make([]byte, 32)
	binary.BigEndian.PutUint64(seed, s.cfg.Seed)
	for i := 0; i < total; i++ {
		binary.BigEndian.PutUint64(seed[8:], uint64(i))
		key, err := bls.GenerateKey(seed)
		if err != nil {
			return err
		}
		n := newEnode(len(s.nodes), fmt.Sprintf("v%d", i), key)
		if i < s.cfg.Validators {
			s.gen = append(s.gen, staking.GenesisValidator{Operator: n.op, NodeID: n.op, BLSKey: key.PublicKey().Bytes(),
				PoP: key.ProvePossession(), Name: n.name, Stake: genesisStake})
		}
		s.nodes = append(s.nodes, n)
	}
	if s.cfg.Twins {
		twin := newEnode(len(s.nodes), "v0-twin", s.nodes[0].key)
		s.nodes[0].twin, twin.twin = true, true
		s.nodes = append(s.nodes, twin)
	}
	for _, n := range s.nodes {
		if err := s.boot(n); err != nil {
			return err
		}
	}
	for _, n := range s.nodes {
		n.core.Start()
		s.flush(n)
	}
	return nil
}

const (
	genesisStake   = 1_000_000
	genesisBalance = 100_000_000
)

func (s *epochSim) loop() {
	limit := s.cfg.Epochs * s.cfg.EpochLength * s.cfg.MaxTimeout * 6
	for {
		if s.minEpoch() >= s.cfg.Epochs {
			return
		}
		if s.sched.now > limit {
			s.fail("LIVENESS: after %d virtual ms honest nodes are at epoch %d, want %d (height %d)", s.sched.now, s.minEpoch(), s.cfg.Epochs, s.res.Height)
			return
		}
		e := s.sched.pop()
		if e == nil {
			s.fail("event queue ran dry")
			return
		}
		s.traceEvent(e)
		s.handle(e)
		s.res.Steps++
		if len(s.res.Violations) > 0 {
			return
		}
	}
}

func (s *epochSim) handle(e *event) {
	n := s.nodes[max(e.node, 0)]
	if !n.up && e.kind != evRestart && e.kind != evHeal {
		return // a crashed process hears nothing and fires no timers
	}
	switch e.kind {
	case evRestart:
		s.restart(n)
	case evCrash:
		s.crash(n)
	case evDeliver:
		s.deliver(n, e.from, e.data)
	case evTimer:
		if e.gen == n.timerGen {
			n.core.Step(&consensus.TimerFired{Round: e.round})
			s.flush(n)
		}
	case evPayload:
		if uint64(e.from) == n.view.epoch {
			n.core.Step(&consensus.PayloadReady{Round: e.gen, Txs: s.payload(n)})
			s.flush(n)
		}
	case evHeal:
		s.cut = -1
	}
}

// crash stops a node: everything not on its disk is gone.
func (s *epochSim) crash(n *enode) {
	if !n.up {
		return
	}
	n.up, n.core = false, nil
	n.timerGen++
	s.res.Crashes++
	s.sched.push(&event{at: s.sched.now + s.cfg.BaseTimeout*(2+s.rng.Uint64N(5)), kind: evRestart, node: n.id})
}

// restart boots a crashed node from its disk, as a new process would.
func (s *epochSim) restart(n *enode) {
	if n.up {
		return
	}
	if err := s.boot(n); err != nil {
		s.fail("node %d restart: %v", n.id, err)
		return
	}
	n.up = true
	n.core.Start()
	s.flush(n)
}

// minEpoch is the lowest epoch among honest nodes that take part (the
// twins are Byzantine and may lag as they like).
func (s *epochSim) minEpoch() uint64 {
	m := ^uint64(0)
	for _, n := range s.nodes {
		if !n.twin {
			m = min(m, n.view.epoch)
		}
	}
	return m
}

func (s *epochSim) traceEvent(e *event) { traceEvent(s.trace, e) }

func (s *epochSim) finish() {
	s.res.Epoch = s.minEpoch()
	copy(s.res.TraceHash[:], s.trace.Sum(nil))
	if !s.cfg.Twins {
		return
	}
	// The twins' validator must be out: jailed, and in no set after the
	// epoch in which it was slashed.
	for _, n := range s.nodes {
		if n.twin {
			continue
		}
		v, ok := n.st.Validator(s.nodes[0].op)
		inSet := n.view.self(s.nodes[0].op) >= 0
		s.res.TwinOut = ok && v.Jailed && !inSet
		break
	}
}
