package sim

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"math/rand/v2"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/safety"
	"github.com/lazchain/lazchain/internal/types"
)

// Result is what one run found.
type Result struct {
	Config     Config
	Violations []string // safety or liveness failures; empty means pass
	Live       bool     // honest validators committed again after the heal
	// RecoveryRounds is how many rounds after the heal every honest
	// validator had committed new blocks.
	RecoveryRounds uint64
	Height         uint64 // highest honest committed height
	Rounds         uint64 // highest honest round
	Messages       uint64 // messages put on the wire
	Bytes          uint64
	Malformed      uint64 // deliveries that failed to decode
	Dropped        uint64 // messages the cores rejected, all reasons
	Steps          uint64
	Partitions     uint64 // partitions started
	Crashes        uint64 // validator crashes
	// ForkVotes counts honest votes for an equivocator's conflicting
	// block, and ForkVoteHeight is the highest such block: an equivocator
	// whose forks honest validators never vote for tests nothing.
	ForkVotes, ForkVoteHeight uint64
	VirtualMillis             uint64
	TraceHash                 [32]byte
}

// Failed reports whether the run broke an invariant.
func (r *Result) Failed() bool { return len(r.Violations) > 0 }

type phase int

const (
	faultPhase phase = iota
	livenessPhase
	done
)

type simulation struct {
	cfg     Config
	rng     *rand.Rand
	set     *types.ValidatorSet
	genesis *types.Block
	nodes   []*node
	byIndex [][]*node // validator index -> its nodes (two for twins)
	sched   scheduler
	check   *checker
	votes   map[voteKey]types.Hash // honest validators' votes that left (votesLeaving)
	forks   map[types.Hash]uint64  // equivocators' conflicting blocks, by id: their heights
	trace   hash.Hash
	res     Result

	phase      phase
	partition  []int // node -> group; nil when whole
	healRound  uint64
	healHeight uint64
	healTime   uint64
}

// Run executes one simulation.
func Run(cfg Config) Result {
	return newSimulation(cfg).run()
}

func newSimulation(cfg Config) *simulation {
	cfg = cfg.withDefaults()
	s := &simulation{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x1a2c_4a1d)), check: newChecker(), votes: map[voteKey]types.Hash{}, forks: map[types.Hash]uint64{}, trace: sha256.New()}
	s.res.Config = cfg
	return s
}

func (s *simulation) run() Result {
	if err := s.setup(); err != nil {
		s.res.Violations = append(s.res.Violations, "setup: "+err.Error())
		return s.res
	}
	s.loop()
	s.finish()
	return s.res
}

func (s *simulation) loop() {
	faultCap := s.cfg.Rounds * s.cfg.MaxTimeout * 2
	for s.phase != done {
		e := s.sched.pop()
		if e == nil {
			s.fail("event queue ran dry")
			return
		}
		if s.phase == faultPhase && (s.maxRound() >= s.cfg.Rounds || s.sched.now > faultCap) {
			s.heal()
		}
		s.handle(e)
		s.res.Steps++
		if len(s.check.violations) > 0 {
			return // safety is broken; the first violation is the story
		}
		if s.phase == livenessPhase {
			s.checkLiveness()
		}
	}
}

// stragglerWait is how long a leader waits for late votes before it
// proposes (consensus.Core.Stragglers), as the node does by default
// (consensus.straggler_wait_ms unset): a quarter of the base timeout.
func (s *simulation) stragglerWait() uint64 { return s.cfg.BaseTimeout / 4 }

// awaiting reports whether n's proposal for round waits for late votes:
// some validator it lacks runs (a crashed one is not connected, as the
// node would see it). Unlike the node it does not back off from one that
// keeps it waiting, so a silent Byzantine validator holds up a proposal
// every few blocks: the harsher case for liveness.
func (s *simulation) awaiting(n *node, round uint64) bool {
	for _, i := range n.core.Stragglers(round) {
		for _, d := range s.byIndex[i] {
			if d.up {
				return true
			}
		}
	}
	return false
}

func (s *simulation) handle(e *event) {
	s.traceEvent(e)
	switch e.kind {
	case evDeliver:
		s.deliver(e)
	case evTimer:
		n := s.nodes[e.node]
		if n.up && e.gen == n.timerGen {
			n.core.Step(&consensus.TimerFired{Round: e.round})
			s.flush(n)
		}
	case evPayload:
		n := s.nodes[e.node]
		if n.up && s.awaiting(n, e.gen) && s.sched.now < n.payloadSince+s.stragglerWait() {
			s.sched.push(&event{at: s.sched.now + 2, kind: evPayload, node: n.id, gen: e.gen})
			return
		}
		if n.up {
			n.core.Step(&consensus.PayloadReady{Round: e.gen, Txs: s.payload()})
			s.flush(n)
		}
	case evCrash:
		if s.phase == faultPhase {
			s.crash(s.nodes[e.node])
		}
	case evRestart:
		s.restart(s.nodes[e.node])
	case evFaultTick:
		s.onFaultTick()
	case evHeal:
		s.partition = nil
	}
}

func (s *simulation) deliver(e *event) {
	n := s.nodes[e.node]
	if !n.up {
		return
	}
	msg, err := types.DecodeMessage(e.data)
	if err != nil {
		s.res.Malformed++
		return
	}
	var resp *types.BlockResponse
	switch q := msg.(type) {
	case *types.BlockRequest:
		resp = n.disk.serve(q)
	case *types.ChainRequest:
		resp = n.disk.serveChain(q)
	default:
		n.core.Step(&consensus.Receive{From: e.from, Msg: msg})
		s.flush(n)
		return
	}
	if resp != nil && e.from >= 0 {
		s.send(n, consensus.Outbound{To: e.from, Msg: resp})
	}
}

// flush carries out a node's Ready in the order the core requires:
// persist, commit, then send and arm timers. Half the payload requests
// are answered at once and merged into the Ready, as a node with work
// does; the others a tick later, as a node waiting for transactions.
func (s *simulation) flush(n *node) {
	r := n.core.Ready()
	s.checkProposals(n, &r)
	sent := s.sendCovered(n, &r)
	if r.Payload != nil {
		n.payloadSince = s.sched.now
	}
	if r.Payload != nil && s.rng.IntN(2) == 0 && !s.awaiting(n, r.Payload.Round) {
		// As a node with transactions waiting does: propose at once, and
		// carry out the proposal's Ready in this one's write.
		n.core.Step(&consensus.PayloadReady{Round: r.Payload.Round, Txs: s.payload()})
		r.Payload = nil
		next := n.core.Ready()
		s.checkProposals(n, &next)
		r.Merge(next)
		sent = s.sendCovered(n, &r) || sent
	}
	if sent && s.phase == faultPhase && s.cfg.Faults.Crashes && s.rng.Float64() < 0.02 {
		s.crash(n) // killed after a covered message left, before its write
		return
	}
	n.disk.persist(&r)
	if len(r.Committed) > 0 {
		s.check.onCommit(s.sched.now, n, r.Committed)
		if !n.byzantine() {
			s.checkJustified(n, &r)
		}
	}
	if s.phase == faultPhase && s.cfg.Faults.Crashes && s.rng.Float64() < 0.002 {
		s.crash(n) // killed after persisting, before anything was sent
		return
	}
	for _, m := range r.Messages {
		s.send(n, m)
	}
	if r.Timer != nil {
		n.timerGen++
		s.sched.push(&event{at: s.sched.now + r.Timer.Ticks, kind: evTimer, node: n.id, gen: n.timerGen, round: r.Timer.Round})
	}
	if r.Payload != nil {
		s.sched.push(&event{at: s.sched.now + 1, kind: evPayload, node: n.id, gen: r.Payload.Round})
	}
	if len(r.Committed) > 0 {
		executeAll(n.core, r.Committed)
		s.flush(n) // votes that waited for the execution
	}
}

// sendCovered sends, as the node does, the QC announcements and proposals
// that the signer's durable data covers (safety.CertifiedCovered,
// safety.ProposalCovered) before the write, and reports whether it sent
// any.
func (s *simulation) sendCovered(n *node, r *consensus.Ready) bool {
	durable, _ := n.disk.safety.Load()
	early := r.Take(func(m types.Message) bool {
		return safety.CertifiedCovered(durable, n.index, m) || safety.ProposalCovered(durable, m)
	})
	for _, m := range early {
		s.send(n, m)
	}
	return len(early) > 0
}

// checkProposals fails the run when a validator all of whose processes
// are honest is caught proposing twice in a round: its safety rules,
// across restarts, must never let that happen.
func (s *simulation) checkProposals(n *node, r *consensus.Ready) {
	for _, eq := range r.Equivocations {
		if eq.Kind != consensus.EquivocatedProposal || int(eq.Signer) >= len(s.byIndex) {
			continue
		}
		culprit := s.byIndex[eq.Signer]
		if len(culprit) > 0 && !culprit[0].byzantine() {
			s.fail("SAFETY: honest validator %d proposed two blocks in round %d (seen by node %d)", eq.Signer, eq.Round, n.id)
		}
	}
}

func (e *event) groups() []int {
	out := make([]int, 0)
	for g, members := range e.part {
		for _, m := range members {
			for len(out) <= m {
				out = append(out, 0)
			}
			out[m] = g
		}
	}
	return out
}

func (s *simulation) payload() []*types.Tx {
	txs := make([]*types.Tx, s.rng.IntN(4))
	for i := range txs {
		sender := make([]byte, 32)
		binary.BigEndian.PutUint64(sender, s.rng.Uint64())
		txs[i] = &types.Tx{ChainID: s.set.ChainID, Sender: sender, Nonce: s.rng.Uint64(), Body: []byte("sim payload"), Sig: make([]byte, 64)}
	}
	return txs
}

func (s *simulation) traceEvent(e *event) { traceEvent(s.trace, e) }

// traceEvent folds one event into a run's trace hash, so two runs of one
// seed can be compared event by event.
func traceEvent(h hash.Hash, e *event) {
	var buf [40]byte
	binary.BigEndian.PutUint64(buf[0:], e.at)
	binary.BigEndian.PutUint64(buf[8:], uint64(e.kind)<<32|uint64(uint32(e.node)))
	binary.BigEndian.PutUint64(buf[16:], uint64(e.from))
	binary.BigEndian.PutUint64(buf[24:], e.gen^e.round<<32)
	binary.BigEndian.PutUint64(buf[32:], uint64(len(e.data)))
	h.Write(buf[:])
	h.Write(e.data)
}

func (s *simulation) maxRound() uint64 {
	var r uint64
	for _, n := range s.nodes {
		if n.up && !n.byzantine() {
			r = max(r, n.core.Round())
		}
	}
	return r
}

func (s *simulation) fail(format string, args ...any) {
	s.check.violations = append(s.check.violations, fmt.Sprintf("t=%dms: ", s.sched.now)+fmt.Sprintf(format, args...))
}

func (s *simulation) finish() {
	s.res.Violations = s.check.violations
	s.res.Height = s.check.maxHeight
	s.res.Rounds = s.maxRound()
	s.res.VirtualMillis = s.sched.now
	for _, n := range s.nodes {
		if n.core != nil {
			for _, d := range n.core.Stats().Dropped {
				s.res.Dropped += d
			}
		}
	}
	copy(s.res.TraceHash[:], s.trace.Sum(nil))
}
