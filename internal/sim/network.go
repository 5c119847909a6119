package sim

import (
	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/types"
)

// send encodes an outbound message, lets a Byzantine sender tamper with
// it, and puts it on the simulated wire.
func (s *simulation) send(n *node, m consensus.Outbound) {
	s.votesLeaving(n, m.Msg)
	switch n.behaviour {
	case Silent:
		return
	case Equivocator:
		if p, ok := m.Msg.(*types.Proposal); ok {
			s.equivocate(n, p)
			return
		}
	case DoubleVoter:
		if v, ok := m.Msg.(*types.Vote); ok {
			s.doubleVote(n, m.To, v)
		}
	case Garbage:
		s.garbage(n, m)
	}
	s.transmit(n, s.destinations(n, m.To), types.EncodeMessage(m.Msg))
}

// destinations resolves a validator index, or Broadcast, to nodes. Twins
// share an index, so both receive what is sent to it.
func (s *simulation) destinations(from *node, to int) []*node {
	if to != consensus.Broadcast {
		return s.byIndex[to]
	}
	out := make([]*node, 0, len(s.nodes)-1)
	for _, d := range s.nodes {
		if d.id != from.id {
			out = append(out, d)
		}
	}
	return out
}

// transmit applies partitions, loss, duplication and delay, then schedules
// delivery. Random delays also reorder messages.
func (s *simulation) transmit(from *node, to []*node, data []byte) {
	for _, d := range to {
		s.res.Messages++
		s.res.Bytes += uint64(len(data))
		if s.cut(from.id, d.id) {
			continue
		}
		net := s.phase == faultPhase && s.cfg.Faults.Network
		if net && s.rng.Float64() < s.cfg.DropRate {
			continue
		}
		copies := 1
		if net && s.rng.Float64() < s.cfg.DupRate {
			copies = 2
		}
		for c := 0; c < copies; c++ {
			s.sched.push(&event{at: s.sched.now + s.delay() + s.far(from, d), kind: evDeliver, node: d.id, from: from.index, data: data})
		}
	}
}

// far is the extra delay of a link to or from the far node (FarDelay).
func (s *simulation) far(a, b *node) uint64 {
	if a.id == 0 || b.id == 0 {
		return s.cfg.FarDelay
	}
	return 0
}

func (s *simulation) delay() uint64 {
	spread := s.cfg.MaxDelay - s.cfg.MinDelay
	if s.phase != faultPhase || !s.cfg.Faults.Network {
		spread /= 4 // calm network: still jittered, so still reordered
	}
	return s.cfg.MinDelay + s.rng.Uint64N(spread+1)
}

// cut reports whether a partition separates two nodes.
func (s *simulation) cut(a, b int) bool {
	if s.partition == nil {
		return false
	}
	return s.group(a) != s.group(b)
}

func (s *simulation) group(n int) int {
	if n < len(s.partition) {
		return s.partition[n]
	}
	return 0
}
