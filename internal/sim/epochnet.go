package sim

import (
	"cmp"
	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/types"
	"slices"
)

// sendConsensus routes a core's message: to every other node, or to the
// nodes of one validator of the sender's epoch (twins share one).
func (s *epochSim) sendConsensus(n *enode, m consensus.Outbound) {
	data := types.EncodeMessage(m.Msg)
	if m.To == consensus.Broadcast {
		s.broadcastFrom(n, data)
		return
	}
	if m.To < 0 || m.To >= len(n.view.ops) {
		return
	}
	op := n.view.ops[m.To]
	for _, d := range s.nodes {
		if d.op == op && d.id != n.id {
			s.transmit(n, d, data)
		}
	}
}

func (s *epochSim) broadcastFrom(n *enode, data []byte) {
	for _, d := range s.nodes {
		if d.id != n.id {
			s.transmit(n, d, data)
		}
	}
}

// transmit applies the cut, loss, duplication and delay (which reorders).
func (s *epochSim) transmit(from, to *enode, data []byte) {
	s.res.Messages++
	if !from.up {
		return
	}
	if s.cut >= 0 && (from.id == s.cut) != (to.id == s.cut) {
		return
	}
	if s.cfg.Network && s.rng.Float64() < 0.03 {
		return
	}
	copies := 1
	if s.cfg.Network && s.rng.Float64() < 0.03 {
		copies = 2
	}
	for c := 0; c < copies; c++ {
		s.sched.push(&event{at: s.sched.now + s.delay(), kind: evDeliver, node: to.id, from: from.id, data: data})
	}
}

func (s *epochSim) delay() uint64 {
	if s.cfg.Network {
		return 5 + s.rng.Uint64N(80)
	}
	return 5 + s.rng.Uint64N(15)
}

// deliver hands a message to a node the way its driver would: requests for
// blocks and epoch proofs are answered from its disk; a message from a
// later epoch makes it ask how its own epoch ended; the rest go to the
// core with the sender's index in the node's current set.
func (s *epochSim) deliver(n *enode, from int, data []byte) {
	msg, err := types.DecodeMessage(data)
	if err != nil {
		s.fail("node %d could not decode a message from node %d: %v", n.id, from, err)
		return
	}
	src := s.nodes[from]
	switch m := msg.(type) {
	case *types.BlockRequest:
		if resp := n.serve(m); resp != nil {
			s.transmit(n, src, types.EncodeMessage(resp))
		}
		return
	case *types.ChainRequest:
		if resp := n.serveChain(m); resp != nil {
			s.transmit(n, src, types.EncodeMessage(resp))
		}
		return
	case *types.EpochRequest:
		if qc := n.endQC[m.Epoch]; qc != nil {
			s.transmit(n, src, types.EncodeMessage(&types.EpochProof{QC: qc}))
		}
		return
	case *types.EpochProof:
		n.core.Step(&consensus.Receive{From: -1, Msg: m})
		s.flush(n)
		return
	}
	if e, ok := types.MessageEpoch(msg); ok && e > n.view.epoch {
		if s.sched.now >= n.asked+50 {
			n.asked = s.sched.now
			s.transmit(n, src, types.EncodeMessage(&types.EpochRequest{Epoch: n.view.epoch}))
		}
		return
	}
	n.core.Step(&consensus.Receive{From: n.view.self(src.op), Msg: msg})
	s.flush(n)
}

// serveChain answers a climb from the node's committed chain.
func (n *enode) serveChain(q *types.ChainRequest) *types.BlockResponse {
	i, _ := slices.BinarySearchFunc(n.committed, q.From, func(b *types.Block, h uint64) int { return cmp.Compare(b.Height, h) })
	if i == len(n.committed) || n.committed[i].Height != q.From {
		return nil
	}
	return &types.BlockResponse{Blocks: consensus.ChainAnswer(n.committed[i:], q.Count)}
}

// serve answers a block request from everything the node has seen.
func (n *enode) serve(q *types.BlockRequest) *types.BlockResponse {
	var out []*types.Block
	for b := n.blocks[q.ID]; b != nil && len(out) < int(min(q.Count, types.MaxFetchBlocks)); b = n.blocks[b.Parent] {
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil
	}
	return &types.BlockResponse{Blocks: out}
}
