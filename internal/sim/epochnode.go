package sim

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"slices"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/safety"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
)

// enode is one process of the multi-epoch simulation: a consensus core for
// its current epoch, the staking state of what it committed, and a disk of
// every block it has seen.
type enode struct {
	id   int
	name string
	key  *bls.SecretKey
	op   staking.Address // operator account and node identity
	// nodeKey is the node key whose public key is op; it signs the
	// registration of a joining validator.
	nodeKey ed25519.PrivateKey
	twin    bool

	joining, leaving bool // the script has sent its create-validator / unbond

	results map[types.Hash]bool // whether each executed transaction succeeded
	rules   *safety.Rules
	disk    *safety.MemStorage // the signer's durable state: survives a crash
	up      bool
	core    *consensus.Core
	view    *eview
	st      *staking.State
	bank    staking.MapBank
	nonces  map[staking.Address]uint64

	blocks    map[types.Hash]*types.Block // every block persisted (survives a crash)
	committed []*types.Block              // committed chain, in order (survives a crash)
	highQC    *types.QC                   // persisted high QC and TC (survive a crash)
	highTC    *types.TC
	endQC     map[uint64]*types.QC // epoch -> the QC that committed its last block
	lastQC    *types.QC
	change    *staking.EpochChange // decided by the last block applied
	timerGen  uint64
	height    uint64
	tip       types.Hash
	asked     uint64 // virtual time of the last epoch request
}

// eview is an epoch as one node runs it.
type eview struct {
	epoch uint64
	set   *types.ValidatorSet
	ops   []staking.Address
	root  *types.Block
	end   uint64
}

func (v *eview) self(op staking.Address) int {
	for i, o := range v.ops {
		if o == op {
			return i
		}
	}
	return -1
}

func newEnode(id int, name string, key *bls.SecretKey) *enode {
	n := &enode{id: id, name: name, key: key, nonces: map[staking.Address]uint64{},
		blocks: map[types.Hash]*types.Block{}, endQC: map[uint64]*types.QC{}, disk: &safety.MemStorage{}, up: true, results: map[types.Hash]bool{}}
	h := types.HashOf(key.PublicKey().Bytes())
	n.nodeKey = ed25519.NewKeyFromSeed(h[:])
	copy(n.op[:], n.nodeKey.Public().(ed25519.PublicKey))
	return n
}

// boot gives a node the genesis state and, as a restarted process does,
// replays what it had committed to rebuild its staking state and find its
// epoch; then it builds that epoch's core from what it had persisted.
func (s *epochSim) boot(n *enode) error {
	st, err := staking.Genesis(chainID, s.params, s.gen)
	if err != nil {
		return err
	}
	n.st, n.bank, n.nonces = st, staking.MapBank{}, map[staking.Address]uint64{}
	for _, m := range s.nodes {
		n.bank.SetBalance(m.op, genesisBalance)
	}
	if n.rules, err = safety.New(chainID, n.key, n.disk); err != nil {
		return err
	}
	epoch, members := uint64(0), st.Active()
	root := types.GenesisBlock(chainID, 0)
	end := s.params.EpochLength
	n.height, n.tip = 0, root.ID()
	for _, b := range n.committed {
		n.height, n.tip = b.Height, b.ID()
		s.execute(n, b)
		if ch := n.change; ch != nil && b.Height == end {
			epoch, members, n.change = ch.Epoch, ch.Set, nil
			root = types.EpochRoot(chainID, epoch, b.ID(), b.Height)
			end = b.Height + s.params.EpochLength
		}
	}
	return s.enterEpoch(n, epoch, members, root, end)
}

// enterEpoch builds the core of an epoch from its set and root.
func (s *epochSim) enterEpoch(n *enode, epoch uint64, members []staking.Member, root *types.Block, end uint64) error {
	vals := make([]types.Validator, len(members))
	ops := make([]staking.Address, len(members))
	for i, m := range members {
		pk, err := bls.Scheme{}.ParsePublicKey(m.BLSKey)
		if err != nil {
			return fmt.Errorf("epoch %d member %d: %w", epoch, i, err)
		}
		vals[i], ops[i] = types.Validator{PubKey: pk, Stake: m.Power}, m.Operator
	}
	set, err := types.NewValidatorSet(chainID, epoch, bls.Scheme{}, vals)
	if err != nil {
		return err
	}
	v := &eview{epoch: epoch, set: set, ops: ops, root: root, end: end}
	self := v.self(n.op)
	var signer consensus.Signer
	if self >= 0 {
		if err := n.rules.StartEpoch(epoch, uint32(self)); err != nil {
			return err
		}
		signer = n.rules
	}
	var recent []types.StateRef
	for _, b := range n.committed[max(0, len(n.committed)-16):] {
		recent = append(recent, execRef(b))
	}
	core, err := consensus.New(consensus.Config{Set: set, Self: self, Root: root, EndHeight: end,
		BaseTimeout: s.cfg.BaseTimeout, MaxTimeout: s.cfg.MaxTimeout, KeepCommitted: 32,
		TrackState: true, Executed: recent, BroadcastVotes: s.cfg.Seed%2 == 0},
		signer, n.snapshot(epoch, root))
	if err != nil {
		return err
	}
	n.core, n.view, n.lastQC = core, v, nil
	n.timerGen++
	if h := set.Epoch; s.lastSetOf[h].IsZero() {
		s.lastSetOf[h] = types.HashOf(fmt.Append(nil, ops))
		if prev, ok := s.lastSetOf[h-1]; h > 0 && ok && prev != s.lastSetOf[h] {
			s.res.SetChanges++
		}
	}
	return nil
}

// snapshot is what the node's disk holds of the epoch starting at root.
func (n *enode) snapshot(epoch uint64, root *types.Block) consensus.Snapshot {
	snap := consensus.Snapshot{Committed: root, HighQC: types.GenesisQC(epoch, root.ID())}
	if k := len(n.committed); k > 0 && n.committed[k-1].Epoch == epoch && n.committed[k-1].Height > root.Height {
		snap.Committed = n.committed[k-1]
	}
	if n.highQC != nil && n.highQC.Epoch == epoch {
		snap.HighQC = n.highQC
	}
	if n.highTC != nil && n.highTC.Epoch == epoch {
		snap.HighTC = n.highTC
	}
	for _, b := range n.blocks {
		if b.Epoch == epoch && b.Height > snap.Committed.Height {
			snap.Blocks = append(snap.Blocks, b)
		}
	}
	// Map order is random; the simulator must be reproducible.
	slices.SortFunc(snap.Blocks, func(a, b *types.Block) int { x, y := a.ID(), b.ID(); return bytes.Compare(x[:], y[:]) })
	return snap
}

// flush carries out a node's Ready: record, execute, send, arm; then, if
// the core committed its epoch's last block, move to the next epoch.
func (s *epochSim) flush(n *enode) {
	for n.up {
		r := n.core.Ready()
		if r.Empty() {
			return
		}
		for _, b := range r.Blocks {
			n.blocks[b.ID()] = b
		}
		if r.CommitQC != nil {
			n.lastQC = r.CommitQC
			n.endQC[n.view.epoch] = r.CommitQC
		}
		if r.HighQC != nil {
			n.highQC = r.HighQC
		}
		if r.HighTC != nil {
			n.highTC = r.HighTC
		}
		for _, b := range r.Committed {
			n.blocks[b.ID()] = b
			n.committed = append(n.committed, b)
			s.commit(n, b)
		}
		executeAll(n.core, r.Committed)
		for _, eq := range r.Equivocations {
			s.report(n, eq)
		}
		for _, m := range r.Messages {
			s.sendConsensus(n, m)
		}
		if r.Timer != nil {
			n.timerGen++
			s.sched.push(&event{at: s.sched.now + r.Timer.Ticks, kind: evTimer, node: n.id, gen: n.timerGen, round: r.Timer.Round})
		}
		if r.Payload != nil {
			s.sched.push(&event{at: s.sched.now + 1, kind: evPayload, node: n.id, gen: r.Payload.Round, from: int(n.view.epoch)})
		}
		if n.core.Ended() {
			s.nextEpoch(n)
		}
	}
}

// nextEpoch switches a node whose core committed the epoch's last block.
func (s *epochSim) nextEpoch(n *enode) {
	old := n.view
	ch := n.change
	if ch == nil || ch.Epoch != old.epoch+1 {
		s.fail("node %d ended epoch %d without the state machine naming the next set", n.id, old.epoch)
		return
	}
	n.endQC[old.epoch] = n.lastQC
	last := n.blocks[n.tip]
	root := types.EpochRoot(chainID, ch.Epoch, last.ID(), last.Height)
	if err := s.enterEpoch(n, ch.Epoch, ch.Set, root, last.Height+s.params.EpochLength); err != nil {
		s.fail("node %d entering epoch %d: %v", n.id, ch.Epoch, err)
		return
	}
	n.change = nil
	if n.lastQC == nil {
		n.lastQC = n.endQC[old.epoch]
	}
	if qc := n.endQC[old.epoch]; qc != nil {
		s.broadcastFrom(n, types.EncodeMessage(&types.EpochProof{QC: qc}))
	}
	n.core.Start()
	if !n.twin && ch.Epoch > s.scripted {
		s.scripted = ch.Epoch
		s.script(ch.Epoch) // may crash any node, this one included
	}
}

// commit checks one committed block against the chain and every other
// honest node, then executes it.
func (s *epochSim) commit(n *enode, b *types.Block) {
	parentOK := b.Parent == n.tip || b.Parent == types.EpochRoot(chainID, b.Epoch, n.tip, n.height).ID()
	if b.Height != n.height+1 || !parentOK {
		s.fail("node %d committed height %d (parent %s) after height %d (%s)", n.id, b.Height, b.Parent.Short(), n.height, n.tip.Short())
	}
	n.height, n.tip = b.Height, b.ID()
	s.execute(n, b)
	s.countAll(n, b)
	if n.twin {
		return
	}
	if prev, ok := s.heights[b.Height]; ok && prev != b.ID() {
		s.fail("SAFETY: node %d committed %s at height %d, another honest node committed %s", n.id, b.ID().Short(), b.Height, prev.Short())
	}
	s.heights[b.Height] = b.ID()
	st := types.HashOf(n.st.Encode())
	if prev, ok := s.states[b.Height]; ok && prev != st {
		s.fail("DETERMINISM: node %d has staking state %s after height %d, another honest node %s", n.id, st.Short(), b.Height, prev.Short())
	}
	s.states[b.Height] = st
	s.res.Height = max(s.res.Height, b.Height)
}

// execute applies a block to the node's staking state as the node's state
// machine does, nonces included; signatures of transactions are not
// simulated.
func (s *epochSim) execute(n *enode, b *types.Block) {
	var signers types.Bitmap
	if b.QC != nil && !b.QC.IsGenesis() {
		signers = b.QC.Signers
	}
	n.st.RecordBlock(b.Proposer, signers)
	for _, tx := range b.Txs {
		var sender staking.Address
		copy(sender[:], tx.Sender)
		if tx.Nonce != n.nonces[sender] {
			continue
		}
		n.nonces[sender]++
		if tx.Kind == 0 {
			continue
		}
		n.results[tx.Hash()] = n.st.Exec(staking.Ctx{Bank: n.bank, Height: b.Height}, sender, tx.Kind, tx.Body) == nil
	}
	if ch := n.st.EndBlock(n.bank, b.Height); ch != nil {
		n.change = ch
	}
}
