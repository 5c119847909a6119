package node

import (
	"fmt"
	"sync"
	"time"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/types"
)

// epochView is everything about the current epoch that the peers' reader
// goroutines and the API read while the driver may be switching epochs;
// it is replaced whole, never modified.
type epochView struct {
	epoch   *state.Epoch
	set     *types.ValidatorSet
	root    *types.Block
	self    int // validator index, -1 when this node does not vote
	nodeIDs []p2p.NodeID
	byNode  map[p2p.NodeID]int
}

func (n *Node) view() *epochView { return n.cur.Load() }

func (n *Node) newView(e *state.Epoch) (*epochView, error) {
	set, err := e.ValidatorSet(n.chainID)
	if err != nil {
		return nil, err
	}
	v := &epochView{epoch: e, set: set, root: e.Root(n.chainID), self: -1, byNode: map[p2p.NodeID]int{}}
	for i, m := range e.Set {
		id := p2p.NodeID(m.NodeID)
		v.nodeIDs = append(v.nodeIDs, id)
		v.byNode[id] = i
	}
	if n.rules != nil {
		if v.self = set.IndexOf(n.rules.PublicKey().Bytes()); v.self >= 0 && v.nodeIDs[v.self] != n.nodeID {
			// Another home's BLS key, most likely: signing here would
			// only risk a double vote with the node that has the right
			// node key. Follow the chain as a full node instead of
			// refusing to run.
			n.log.Error("this node's BLS key belongs to a validator registered with another node key; following as a full node, not signing",
				"epoch", e.Number, "validator", e.Set[v.self].Name, "registered_node_id", v.nodeIDs[v.self].Short(), "this_node_id", n.nodeID.Short())
			v.self = -1
		}
	}
	return v, nil
}

// keepCommitted is how many executed blocks below the committed head a
// node's core keeps in memory. Peers' block requests are served from the
// store, and the blocks the driver still walks (committed, not executed)
// stay regardless. Keeping 256 held up to 256 MB of megabyte blocks in
// the Go heap, which the collector marked on every cycle and the kernel
// faulted in as the heap grew.
const keepCommitted = 32

// startEpoch builds the core for the epoch that committed state is in,
// from what the store holds of it.
func (n *Node) startEpoch() error {
	e := n.machine.CurrentEpoch()
	v, err := n.newView(e)
	if err != nil {
		return err
	}
	snap, err := n.store.Snapshot(v.root)
	if err != nil {
		return fmt.Errorf("recover consensus state: %w", err)
	}
	var signer consensus.Signer
	if v.self >= 0 {
		if err := n.rules.StartEpoch(e.Number, uint32(v.self)); err != nil {
			return err
		}
		signer = n.rules
	}
	p := n.genesis.Consensus
	core, err := consensus.New(consensus.Config{
		Set: v.set, Self: v.self, Root: v.root, EndHeight: e.EndHeight,
		BaseTimeout: p.BaseTimeoutMs, MaxTimeout: p.MaxTimeoutMs, KeepCommitted: keepCommitted,
		AuthenticatedSenders: true, // p2p pins each connection to a registered node key
		BroadcastVotes:       n.broadcastVotes(v),
		TrackState:           true, Executed: n.machine.RecentResults(256),
	}, signer, snap)
	if err != nil {
		return fmt.Errorf("consensus core for epoch %d: %w", e.Number, err)
	}
	n.core = core
	n.cur.Store(v)
	n.attest.newEpoch()
	n.status.set(snap.Committed.Height, snap.Committed.ID(), 0)
	n.metrics.height.Set(float64(snap.Committed.Height)) // read 0 after a restart until the next commit
	if h := snap.Committed.Height; h > n.poolHeight.Load() {
		n.poolHeight.Store(h)
	}
	n.metrics.epoch.Set(float64(e.Number))
	return nil
}

// dialPeers keeps connections to the configured peers and to the current
// epoch's validators. A validator's address on chain (set when it
// registered or edited it) wins over the configured one: it is what the
// validator last said of itself. Validators that left the set are no
// longer redialled, and when only members may connect, disconnected.
func (n *Node) dialPeers() {
	want := map[p2p.NodeID]string{}
	for _, p := range n.staticPeers {
		want[p.ID] = p.Addr
	}
	for _, m := range n.view().epoch.Set {
		if id := p2p.NodeID(m.NodeID); m.NetAddr != "" && id != n.nodeID {
			want[id] = m.NetAddr
		}
	}
	peers := make([]p2p.PeerAddr, 0, len(want))
	for id, addr := range want {
		peers = append(peers, p2p.PeerAddr{ID: id, Addr: addr})
	}
	if n.view().self < 0 {
		// Not (or no longer) a validator: it dials everyone. A node that
		// became one keeps dialling, and the rule that keeps the smaller
		// key's connection settles pairs dialled from both sides.
		n.host.SetDialAll(true)
	}
	n.host.SetPeers(peers)
}

// nextEpoch runs when the core has committed its epoch's last block: tell
// everyone how the epoch ended, dial the new members, and start over with
// the next epoch's set.
func (n *Node) nextEpoch() error {
	old := n.view()
	if qc, err := n.store.EpochProof(old.epoch.Number); err == nil {
		n.host.Broadcast(chanConsensus, types.EncodeMessage(&types.EpochProof{QC: qc}))
	}
	if err := n.startEpoch(); err != nil {
		return err
	}
	v := n.view()
	n.dialPeers()
	n.log.Info("epoch started", "epoch", v.epoch.Number, "validators", len(v.epoch.Set), "validator", v.self, "from_height", v.root.Height)
	n.logMembership(old.self, v)
	n.core.Start()
	// The first proposal and votes of the epoch often arrive while this
	// node is still finishing the last one; without them it would sit out
	// the first round until its timeout.
	for _, m := range n.early.take() {
		if e, _ := types.MessageEpoch(m.msg); e != v.epoch.Number {
			continue
		}
		if idx, ok := v.byNode[m.from]; ok {
			n.core.Step(&consensus.Receive{From: idx, Msg: m.msg})
		}
	}
	n.spawn(func() { n.signEpochChange(v.epoch) })
	n.catchUp()
	return nil
}

// signEpochChange adds this node's signature to the certificate of the
// change to epoch e, if it was a validator of the epoch before and has not
// signed yet. The content is fixed by committed state, so unlike a vote
// there is nothing to equivocate on: it needs no safety rules.
func (n *Node) signEpochChange(e *state.Epoch) {
	if n.blsKey == nil || e.Number == 0 {
		return
	}
	prev, err := n.machine.EpochAt(e.Number - 1)
	if err != nil {
		return
	}
	set, err := prev.ValidatorSet(n.chainID)
	if err != nil {
		return
	}
	idx := set.IndexOf(n.blsKey.PublicKey().Bytes())
	if idx < 0 || n.machine.EpochSigned(e.Number, uint32(idx)) {
		return
	}
	sig := n.blsKey.Sign(e.Change().SigningBytes(n.chainID))
	body := state.EpochSig{Epoch: e.Number, Signer: uint32(idx), Sig: sig}.Encode()
	// Until it is on-chain (or the certificate is done): a transaction can
	// be lost with a full pool or a crashed leader.
	for try := 0; try < 20; try++ {
		if _, err := n.submitOwn(state.KindEpochSig, body); err != nil {
			n.log.Warn("epoch-change signature not admitted", "epoch", e.Number, "err", err)
		}
		select {
		case <-n.done:
			return
		case <-time.After(2 * time.Second):
		}
		if n.machine.EpochSigned(e.Number, uint32(idx)) {
			return
		}
	}
}

// earlyBox holds messages of the next epoch that arrive before this node
// has reached it; the driver replays them into the next core, which checks
// them like any other. Nothing about them is trusted yet, so the box is
// bounded in messages per sender and in bytes: a peer can waste its own
// share, not push out everyone else's.
type earlyBox struct {
	mu    sync.Mutex
	msgs  []earlyMsg
	bytes int
	per   map[p2p.NodeID]int
	// perBytes bounds each sender's bytes too: by count alone, one
	// validator's four full-size proposals took all of maxEarlyBytes, and
	// every other validator's next-epoch votes were dropped.
	perBytes map[p2p.NodeID]int
	// What peers outside the current set and the configured peers hold:
	// with p2p.open a crowd of keys could otherwise fill the box and
	// leave no room for the next epoch's validators, whose first round
	// would then time out.
	outMsgs, outBytes int
}

type earlyMsg struct {
	from p2p.NodeID
	msg  types.Message
}

const (
	maxEarlyMsgs      = 1024
	maxEarlyPerSender = 32       // a round or two of one validator's messages
	maxEarlyBytes     = 64 << 20 // a few full proposals
	// One full proposal and the small messages of a round or two.
	maxEarlyBytesPerSender = types.MaxBlockBytes + 1<<20
	// The share of the box for senders that are neither current
	// validators nor configured peers (a validator joining with the
	// next epoch is one of them).
	maxEarlyOutsiderMsgs  = maxEarlyMsgs / 4
	maxEarlyOutsiderBytes = maxEarlyBytes / 4
)

// keep holds m from a sender, reserved if it is a current validator or a
// configured peer, and reports whether there was room.
func (b *earlyBox) keep(from p2p.NodeID, reserved bool, m types.Message, size int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.per == nil {
		b.per, b.perBytes = map[p2p.NodeID]int{}, map[p2p.NodeID]int{}
	}
	if len(b.msgs) >= maxEarlyMsgs || b.per[from] >= maxEarlyPerSender || b.bytes+size > maxEarlyBytes ||
		b.perBytes[from]+size > maxEarlyBytesPerSender {
		return false
	}
	if !reserved && (b.outMsgs >= maxEarlyOutsiderMsgs || b.outBytes+size > maxEarlyOutsiderBytes) {
		return false
	}
	b.msgs = append(b.msgs, earlyMsg{from, m})
	b.bytes += size
	b.per[from]++
	b.perBytes[from] += size
	if !reserved {
		b.outMsgs++
		b.outBytes += size
	}
	return true
}

func (b *earlyBox) take() []earlyMsg {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.msgs
	b.msgs, b.bytes, b.outMsgs, b.outBytes = nil, 0, 0, 0
	clear(b.per)
	clear(b.perBytes)
	return out
}

// askEpoch notes that a peer claims a later epoch and, at most a few
// times a second, asks a claimant for the proof that ended ours.
func (n *Node) askEpoch(from p2p.NodeID, theirs uint64) {
	_, validator := n.view().byNode[from]
	n.epochs.claim(from, theirs, validator || n.configured[from])
	n.sendEpochRequest(false)
}

// catchUp runs after each epoch switch: if peers are known to be further
// on, ask at once for the proof of the epoch just entered rather than
// waiting to hear from them, so a node that was down for many epochs
// crosses them as fast as it can fetch and execute their blocks.
func (n *Node) catchUp() { n.sendEpochRequest(true) }

func (n *Node) sendEpochRequest(force bool) {
	cur := n.view().epoch.Number
	var connected map[p2p.NodeID]bool // built only when a request is due
	isConnected := func(id p2p.NodeID) bool {
		if connected == nil {
			connected = map[p2p.NodeID]bool{}
			for _, p := range n.host.Peers() {
				connected[p] = true
			}
		}
		return connected[id]
	}
	peer, ok := n.epochs.next(cur, time.Now(), force, isConnected)
	if ok {
		n.host.Send(peer, chanConsensus, types.EncodeMessage(&types.EpochRequest{Epoch: cur}))
	}
}

// logMembership tells the operator when this node's validator joins or
// leaves the active set, and why it left when staking says: otherwise the
// only sign is "validator -1" in the epoch line.
func (n *Node) logMembership(was int, v *epochView) {
	if n.rules == nil || (was >= 0) == (v.self >= 0) {
		return
	}
	if v.self >= 0 {
		n.log.Info("this validator joined the active set", "epoch", v.epoch.Number, "index", v.self)
		return
	}
	attrs := []any{"epoch", v.epoch.Number}
	if val, ok := n.machine.Staking().ValidatorByKey(n.rules.PublicKey().Bytes()); ok {
		attrs = append(attrs, "operator", val.Operator, "jailed", val.Jailed, "jailed_until_epoch", val.JailedUntil, "tokens", val.Tokens)
	}
	n.log.Warn("this validator left the active set: it no longer votes or proposes", attrs...)
}
