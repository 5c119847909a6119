package consensus_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/crypto/simsig"
	"github.com/lazchain/lazchain/internal/safety"
	"github.com/lazchain/lazchain/internal/types"
)

// The harness runs N cores in one goroutine. Messages travel through one FIFO
// queue, encoded and decoded as on a real wire; filters drop what a scenario
// wants lost; timers fire only when the scenario says so; payload requests
// are answered at once. Everything is deterministic.

const (
	testChain = "lazchain-test"
	testEpoch = 1
	baseTicks = 10
	maxTicks  = 80
	maxSteps  = 200_000 // deliveries before a pump is declared runaway
)

type harness struct {
	authenticated bool // cores trust the transport's sender, as the node does
	track         bool // cores check execution results; the driver reports them
	broadcast     bool // cores send votes to every validator
	// stragglers makes a leader hold a payload request while its core
	// names late votes it would carry (Core.Stragglers), as the node does;
	// held requests are answered when those votes come or the queue runs
	// dry (the node's wait running out).
	stragglers    bool
	txBody        int // body size of payload transactions; 0 for small ones
	parkedBytes   int // cores' MaxParkedBytes; 0 for the default
	keepCommitted int // cores' KeepCommitted; 0 for the default
	t             testing.TB
	set           *types.ValidatorSet
	keys          []*simsig.Key
	genesis       *types.Block
	nodes         []*node
	queue         []envelope
	filters       []*filter
	wire          []envelope            // every message sent, in order, before filtering
	heights       map[uint64]types.Hash // the block committed at each height, by anyone
	steps         int
}

// node is one validator: its core and what its driver has persisted.
type node struct {
	idx       int
	core      *consensus.Core
	safety    *safety.MemStorage
	stored    map[types.Hash]*types.Block // Ready.Blocks, persisted
	highQC    *types.QC
	highTC    *types.TC
	committed []*types.Block // genesis first
	timer     *consensus.Timer
	timers    []consensus.Timer // every timer set, in order
	readies   []consensus.Ready
	held      *consensus.PayloadRequest // waiting for late votes (harness.stragglers)
}

func (n *node) tip() *types.Block { return n.committed[len(n.committed)-1] }

// heldRound is the round of the payload request n holds, 0 if none.
func (n *node) heldRound() uint64 {
	if n.held == nil {
		return 0
	}
	return n.held.Round
}

// envelope is one message on the wire to one recipient.
type envelope struct {
	from, to int
	msg      types.Message // the recipient's own decoded copy
	data     []byte
}

type filter struct {
	m      match
	active bool
}

// newHarness boots one core per stake, all at genesis, and starts them in
// index order. The first leader's proposal is then in the queue.
func newHarness(t testing.TB, stakes ...uint64) *harness {
	t.Helper()
	return newHarnessWith(t, false, stakes...)
}

// newHarnessWith is newHarness with the cores' execution tracking on or off.
func newHarnessWith(t testing.TB, track bool, stakes ...uint64) *harness {
	t.Helper()
	reg := simsig.NewRegistry()
	h := &harness{t: t, heights: map[uint64]types.Hash{}, track: track}
	vals := make([]types.Validator, len(stakes))
	for i, s := range stakes {
		k := simsig.NewKey(reg, []byte(fmt.Sprintf("validator-%d", i)))
		h.keys = append(h.keys, k)
		vals[i] = types.Validator{PubKey: k.PublicKey(), Stake: s}
	}
	set, err := types.NewValidatorSet(testChain, testEpoch, reg.Scheme(), vals)
	if err != nil {
		t.Fatalf("validator set: %v", err)
	}
	h.set = set
	h.genesis = types.GenesisBlock(testChain, testEpoch)
	for i := range stakes {
		n := &node{
			idx: i, safety: &safety.MemStorage{},
			stored:    map[types.Hash]*types.Block{h.genesis.ID(): h.genesis},
			highQC:    types.GenesisQC(testEpoch, h.genesis.ID()),
			committed: []*types.Block{h.genesis},
		}
		n.core = h.newCore(i, n.safety, h.snapshot(n))
		h.nodes = append(h.nodes, n)
	}
	for _, n := range h.nodes {
		n.core.Start()
		h.flush(n)
	}
	return h
}

// newCore builds validator idx's core over its safety storage, as a
// (re)started process would.
func (h *harness) newCore(idx int, store *safety.MemStorage, snap consensus.Snapshot) *consensus.Core {
	h.t.Helper()
	rules, err := safety.New(testChain, h.keys[idx], store)
	if err != nil {
		h.t.Fatalf("safety rules %d: %v", idx, err)
	}
	if err := rules.StartEpoch(testEpoch, uint32(idx)); err != nil {
		h.t.Fatalf("start epoch %d: %v", idx, err)
	}
	cfg := consensus.Config{Set: h.set, Self: idx, BaseTimeout: baseTicks, MaxTimeout: maxTicks, AuthenticatedSenders: h.authenticated,
		TrackState: h.track, BroadcastVotes: h.broadcast, MaxParkedBytes: h.parkedBytes,
		KeepCommitted: h.keepCommitted}
	if h.track {
		for _, b := range h.nodes[idx:min(idx+1, len(h.nodes))] {
			for _, c := range b.committed[1:] {
				cfg.Executed = append(cfg.Executed, execRef(c))
			}
		}
	}
	core, err := consensus.New(cfg, rules, snap)
	if err != nil {
		h.t.Fatalf("core %d: %v", idx, err)
	}
	return core
}

// snapshot is what node n's driver would recover from its store: stored
// blocks above the committed one, in a shuffled (but reproducible) order.
func (h *harness) snapshot(n *node) consensus.Snapshot {
	var blocks []*types.Block
	for _, b := range n.stored {
		if b.Height > n.tip().Height {
			blocks = append(blocks, b)
		}
	}
	slices.SortFunc(blocks, func(a, b *types.Block) int { x, y := a.ID(), b.ID(); return bytes.Compare(x[:], y[:]) })
	rng := rand.New(rand.NewPCG(uint64(n.idx), uint64(len(blocks))))
	rng.Shuffle(len(blocks), func(i, j int) { blocks[i], blocks[j] = blocks[j], blocks[i] })
	k := len(n.committed) - 1
	recent := n.committed[max(0, k-consensus.RecentNeeded):k]
	return consensus.Snapshot{Committed: n.tip(), Blocks: blocks, Recent: recent, HighQC: n.highQC, HighTC: n.highTC}
}

// restart replaces validator i's core with one recovered from its store.
func (h *harness) restart(i int) {
	n := h.nodes[i]
	n.core = h.newCore(i, n.safety, h.snapshot(n))
	n.timer = nil
	n.core.Start()
	h.flush(n)
}

// flush carries out a core's Ready as a driver must: persist, commit, send,
// arm the timer; a payload request is answered at once.
func (h *harness) flush(n *node) {
	for {
		r := n.core.Ready()
		if r.Empty() {
			return
		}
		n.readies = append(n.readies, r)
		h.persist(n, &r)
		for _, m := range r.Messages {
			h.send(n.idx, m)
		}
		if r.Timer != nil {
			n.timer = r.Timer
			n.timers = append(n.timers, *r.Timer)
		}
		executed := h.track && len(r.Committed) > 0
		if executed {
			for _, b := range r.Committed {
				n.core.Step(&consensus.Executed{Ref: execRef(b)})
			}
		}
		if r.Payload == nil {
			if executed {
				continue // votes that waited for the execution
			}
			return
		}
		if h.stragglers && len(n.core.Stragglers(r.Payload.Round)) > 0 {
			n.held = r.Payload
			if executed {
				continue // votes that waited for the execution
			}
			return
		}
		h.answer(n, r.Payload)
	}
}

func (h *harness) answer(n *node, p *consensus.PayloadRequest) {
	txs := payload(p.Round)
	if h.txBody > 0 {
		txs = bulkyPayload(p.Round, h.txBody)
	}
	n.core.Step(&consensus.PayloadReady{Round: p.Round, Txs: txs})
}

// release answers n's held payload request if it waits for no one now,
// or if force says the wait ran out.
func (h *harness) release(n *node, force bool) bool {
	p := n.held
	if p == nil || !force && len(n.core.Stragglers(p.Round)) > 0 {
		return false
	}
	n.held = nil
	h.answer(n, p)
	h.flush(n)
	return true
}

// persist stores a Ready and checks the invariants every run must keep.
func (h *harness) persist(n *node, r *consensus.Ready) {
	for _, b := range r.Blocks {
		n.stored[b.ID()] = b
	}
	if r.HighQC != nil {
		n.highQC = r.HighQC
	}
	if r.HighTC != nil {
		n.highTC = r.HighTC
	}
	for _, b := range r.Committed {
		// Ready contract: a block is handed over for persisting no later than
		// the Ready that commits it.
		if n.stored[b.ID()] == nil {
			h.t.Errorf("node %d commits block %s at height %d before it was persisted", n.idx, b.ID().Short(), b.Height)
		}
		// Committed blocks form one chain per node...
		if tip := n.tip(); b.Parent != tip.ID() || b.Height != tip.Height+1 {
			h.t.Errorf("node %d commits height %d off its chain (tip height %d)", n.idx, b.Height, tip.Height)
		}
		// ...and one chain across nodes (safety).
		if prev, ok := h.heights[b.Height]; ok && prev != b.ID() {
			h.t.Errorf("SAFETY: node %d commits %s at height %d where %s was committed", n.idx, b.ID().Short(), b.Height, prev.Short())
		}
		h.heights[b.Height] = b.ID()
		n.committed = append(n.committed, b)
	}
}

// payload is the driver's answer to a payload request: a few transactions.
func payload(round uint64) []*types.Tx {
	txs := make([]*types.Tx, 2)
	for i := range txs {
		sender := make([]byte, 32)
		sender[0] = byte(i + 1)
		txs[i] = &types.Tx{ChainID: testChain, Sender: sender, Nonce: round, Kind: 1, Body: []byte("transfer"), Sig: make([]byte, 64)}
	}
	return txs
}

// bulkyPayload is a payload of 48 transactions of body bytes each.
func bulkyPayload(round uint64, body int) []*types.Tx {
	txs := make([]*types.Tx, 48)
	for i := range txs {
		sender := make([]byte, 32)
		sender[0] = byte(i + 1)
		txs[i] = &types.Tx{ChainID: testChain, Sender: sender, Nonce: round, Kind: 1, Body: make([]byte, body), Sig: make([]byte, 64)}
	}
	return txs
}

// send puts m on the wire: one envelope per recipient, each with its own
// decoded copy, unless a filter drops it.
func (h *harness) send(from int, m consensus.Outbound) {
	data := types.EncodeMessage(m.Msg)
	for to := range h.nodes {
		if to == from && m.To == consensus.Broadcast || m.To != consensus.Broadcast && to != m.To {
			continue
		}
		msg, err := types.DecodeMessage(data)
		if err != nil {
			h.t.Fatalf("node %d sent an undecodable %s: %v", from, m.Msg.Kind(), err)
		}
		e := envelope{from: from, to: to, msg: msg, data: data}
		h.wire = append(h.wire, e)
		if !h.dropped(e) {
			h.queue = append(h.queue, e)
		}
	}
}

func (h *harness) dropped(e envelope) bool {
	for _, f := range h.filters {
		if f.active && f.m(e) {
			return true
		}
	}
	return false
}

// drop loses every message that matches m, those in flight included, until
// the returned heal is called.
func (h *harness) drop(m match) (heal func()) {
	f := &filter{m: m, active: true}
	h.filters = append(h.filters, f)
	h.queue = slices.DeleteFunc(h.queue, func(e envelope) bool { return m(e) })
	return func() { f.active = false }
}

// deliver steps validator to with a message as if from validator from.
func (h *harness) deliver(from, to int, m types.Message) {
	n := h.nodes[to]
	n.core.Step(&consensus.Receive{From: from, Msg: m})
	h.flush(n)
	h.release(n, false)
}

// step delivers the oldest queued message; false when the queue is empty.
func (h *harness) step() bool {
	if len(h.queue) == 0 {
		for _, n := range h.nodes {
			if h.release(n, true) {
				return true
			}
		}
		return false
	}
	if h.steps++; h.steps > maxSteps {
		h.t.Fatalf("runaway: %d deliveries; %s", maxSteps, h.describe())
	}
	e := h.queue[0]
	h.queue = h.queue[1:]
	h.deliver(e.from, e.to, e.msg)
	return true
}

// pump delivers until the queue is empty.
func (h *harness) pump() {
	for h.step() {
	}
}

// pumpUntil delivers until cond holds; the queue running dry first is fatal.
func (h *harness) pumpUntil(what string, cond func() bool) {
	h.t.Helper()
	for !cond() {
		if !h.step() {
			h.t.Fatalf("queue drained before %s: %s", what, h.describe())
		}
	}
}

// run is pumpUntil with time passing: whenever the network is quiet, every
// timer fires. It gives up after maxFirings quiet spells.
func (h *harness) run(what string, maxFirings int, cond func() bool) {
	h.t.Helper()
	for firings := 0; !cond(); {
		if h.step() {
			continue
		}
		if firings++; firings > maxFirings {
			h.t.Fatalf("no %s after %d timer firings: %s", what, maxFirings, h.describe())
		}
		h.fireTimers()
	}
}

// fireTimers fires the pending timer of the given validators (all if none
// given), in index order, without delivering what they send.
func (h *harness) fireTimers(idx ...int) {
	if len(idx) == 0 {
		idx = h.all()
	}
	for _, i := range idx {
		n := h.nodes[i]
		if n.timer != nil {
			n.core.Step(&consensus.TimerFired{Round: n.timer.Round})
			h.flush(n)
		}
	}
}

// pauseAt runs a fault-free network until every core is in round r and has
// voted there, then stops it by losing the votes of round r and later. The
// queue is empty afterwards and no filter remains. It needs a set where no
// single validator holds a quorum.
func (h *harness) pauseAt(r uint64) {
	h.t.Helper()
	heal := h.drop(allOf(ofKind(types.KindVote), inRounds(r, math.MaxUint64)))
	h.pump()
	heal()
	for _, n := range h.nodes {
		if n.core.Round() != r {
			h.t.Fatalf("pause at round %d: node %d is in round %d", r, n.idx, n.core.Round())
		}
	}
}

func (h *harness) core(i int) *consensus.Core { return h.nodes[i].core }

// leader is round r's proposer as validator 0 sees it.
func (h *harness) leader(r uint64) int { return h.nodes[0].core.Leader(r) }

func (h *harness) all() []int {
	out := make([]int, len(h.nodes))
	for i := range out {
		out[i] = i
	}
	return out
}

// committedAtLeast is a condition: the given validators (all if none) have
// committed up to height.
func (h *harness) committedAtLeast(height uint64, idx ...int) func() bool {
	if len(idx) == 0 {
		idx = h.all()
	}
	return func() bool {
		for _, i := range idx {
			if h.nodes[i].tip().Height < height {
				return false
			}
		}
		return true
	}
}

// roundWhere returns the first round from start on that satisfies ok.
func (h *harness) roundWhere(start uint64, ok func(r uint64) bool) uint64 {
	for r := start; r < start+10_000; r++ {
		if ok(r) {
			return r
		}
	}
	h.t.Fatalf("no round from %d fits", start)
	return 0
}

// sent returns the messages put on the wire that match m, in order.
func (h *harness) sent(m match) []envelope {
	var out []envelope
	for _, e := range h.wire {
		if m(e) {
			out = append(out, e)
		}
	}
	return out
}

func (h *harness) describe() string {
	s := fmt.Sprintf("%d queued", len(h.queue))
	for _, n := range h.nodes {
		s += fmt.Sprintf("; node %d: %s", n.idx, n.core.Describe())
	}
	return s
}

// execRef stands in for executing b, alike on every node.
func execRef(b *types.Block) types.StateRef {
	id := b.ID()
	return types.StateRef{Height: b.Height, Root: types.HashOf(id[:]), Events: types.HashOf(append([]byte("events"), id[:]...))}
}
