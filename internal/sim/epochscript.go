package sim

import (
	"encoding/binary"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
)

// script runs once as the first honest node enters each epoch: maybe a
// candidate registers, maybe a validator unbonds everything, maybe one
// node is cut off for a while. Draws come from the run's seed.
func (s *epochSim) script(epoch uint64) {
	if epoch+1 >= s.cfg.Epochs {
		return // leave the last epochs to settle
	}
	if c := s.nextCandidate(); c != nil && s.rng.Float64() < 0.7 {
		stake := s.params.MinStake + s.rng.Uint64N(2*genesisStake)
		cv := staking.CreateValidator{BLSKey: c.key.PublicKey().Bytes(), PoP: c.key.ProvePossession(), NodeID: c.op,
			Name: c.name, NetAddr: c.name + ":26656", CommissionBps: uint32(s.rng.IntN(2000)), SelfBond: stake}
		cv.SignRegistration(chainID, c.op, c.key, c.nodeKey)
		s.submit(c.op, staking.KindCreateValidator, cv.Encode())
		c.joining = true
	}
	if v := s.leaver(); v != nil && s.rng.Float64() < 0.5 {
		if val, ok := v.st.Validator(v.op); ok {
			s.submit(v.op, staking.KindUndelegate, staking.Undelegate{Validator: v.op, Amount: val.Tokens}.Encode())
			v.leaving = true
		}
	}
	if s.cfg.Crashes && s.rng.Float64() < 0.6 {
		// Anywhere in the epoch: mid-round, or across the next boundary.
		s.sched.push(&event{at: s.sched.now + s.rng.Uint64N(4*s.cfg.BaseTimeout), kind: evCrash, node: s.rng.IntN(len(s.nodes))})
	}
	if s.cfg.Partitions && s.cut < 0 {
		s.cut = s.rng.IntN(len(s.nodes))
		s.sched.push(&event{at: s.sched.now + s.cfg.BaseTimeout*(2+s.rng.Uint64N(4)), kind: evHeal, node: -1})
	}
}

func (s *epochSim) nextCandidate() *enode {
	for _, n := range s.nodes[s.cfg.Validators:] {
		if !n.twin && !n.joining {
			return n
		}
	}
	return nil
}

// leaver picks an honest validator whose departure keeps at least four
// validators and keeps the twins' stake under a quarter of the total, so
// the Byzantine share stays below a third whatever else happens.
func (s *epochSim) leaver() *enode {
	ref := s.reference()
	set := ref.view
	if set.set.Len() <= 4 {
		return nil
	}
	var twin uint64
	if i := set.self(s.nodes[0].op); s.cfg.Twins && i >= 0 {
		twin = set.set.StakeOf(i)
	}
	for _, k := range s.rng.Perm(set.set.Len()) {
		op := set.ops[k]
		n := s.byOp(op)
		if n == nil || n.twin || n.leaving {
			continue
		}
		rest := set.set.TotalStake() - set.set.StakeOf(k)
		if 4*twin < rest {
			return n
		}
	}
	return nil
}

func (s *epochSim) reference() *enode {
	for _, n := range s.nodes {
		if !n.twin {
			return n
		}
	}
	return s.nodes[0]
}

func (s *epochSim) byOp(op staking.Address) *enode {
	for _, n := range s.nodes {
		if n.op == op && !n.twin {
			return n
		}
	}
	return nil
}

// submit queues a transaction from account op for every leader to propose.
func (s *epochSim) submit(op staking.Address, kind uint16, body []byte) {
	tx := &types.Tx{ChainID: chainID, Sender: append([]byte(nil), op[:]...), Nonce: s.nonces[op], Kind: kind, Body: body, Sig: make([]byte, 64)}
	tx.Seal()
	s.nonces[op]++
	s.pending = append(s.pending, tx)
}

// payload is what a leader proposes: every queued transaction its own
// state has not executed yet. A twin adds a memo of its own, so twins
// leading the same round propose different blocks and their votes split.
func (s *epochSim) payload(n *enode) []*types.Tx {
	var txs []*types.Tx
	for _, tx := range s.pending {
		var sender staking.Address
		copy(sender[:], tx.Sender)
		if tx.Nonce >= n.nonces[sender] && len(txs) < 64 {
			txs = append(txs, tx)
		}
	}
	if n.twin {
		memo := make([]byte, 16)
		binary.BigEndian.PutUint64(memo, uint64(n.id))
		binary.BigEndian.PutUint64(memo[8:], s.sched.now)
		sender := make([]byte, 32)
		binary.BigEndian.PutUint64(sender, s.rng.Uint64())
		tx := &types.Tx{ChainID: chainID, Sender: sender, Nonce: 0, Body: memo, Sig: make([]byte, 64)}
		tx.Seal()
		txs = append(txs, tx)
	}
	return txs
}

// report turns an equivocation a node saw into an evidence transaction,
// after checking both signatures as a node does.
func (s *epochSim) report(n *enode, eq consensus.Equivocation) {
	id := [3]uint64{eq.Epoch, eq.Round, uint64(eq.Signer)<<8 | uint64(eq.Kind)}
	if s.reported[id] || eq.Epoch != n.view.epoch || int(eq.Signer) >= n.view.set.Len() || eq.BlockA == eq.BlockB {
		return
	}
	a, b := eq.SigningBytes(chainID)
	if n.view.set.VerifySig(int(eq.Signer), a, eq.SigA) != nil || n.view.set.VerifySig(int(eq.Signer), b, eq.SigB) != nil {
		return
	}
	s.reported[id] = true
	body := staking.Evidence{Kind: eq.Kind, Epoch: eq.Epoch, Round: eq.Round, Signer: eq.Signer,
		BlockA: eq.BlockA, BlockB: eq.BlockB, SigA: eq.SigA, SigB: eq.SigB}.Encode()
	s.submit(n.op, staking.KindEvidence, body)
}

// countAll records, once per transaction, what executing a committed
// block's transactions did.
func (s *epochSim) countAll(n *enode, b *types.Block) {
	if n.twin {
		return
	}
	for _, tx := range b.Txs {
		ok, executed := n.results[tx.Hash()]
		if !executed || s.counted[tx.Hash()] {
			continue
		}
		s.counted[tx.Hash()] = true
		if !ok {
			continue
		}
		switch tx.Kind {
		case staking.KindCreateValidator:
			s.res.Joined++
		case staking.KindUndelegate:
			s.res.Left++
		case staking.KindEvidence:
			s.res.Evidence++
		}
	}
}
