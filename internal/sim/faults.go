package sim

import "fmt"

// scheduleFaults starts the fault clock. The fault phase ends at a round,
// not a time, so faults are drawn tick by tick while it lasts.
func (s *simulation) scheduleFaults() {
	if s.cfg.Faults.Partitions || s.cfg.Faults.Crashes {
		s.sched.push(&event{at: s.faultTick(), kind: evFaultTick})
	}
}

func (s *simulation) faultTick() uint64 { return s.sched.now + s.cfg.BaseTimeout/2 }

// onFaultTick may start a partition (if none is on) and may crash a node.
func (s *simulation) onFaultTick() {
	if s.phase != faultPhase {
		return
	}
	if s.cfg.Faults.Partitions && s.partition == nil && s.rng.Float64() < 0.3 {
		s.partition = (&event{part: s.partitionShape()}).groups()
		s.res.Partitions++
		s.sched.push(&event{at: s.sched.now + s.cfg.BaseTimeout*(1+s.rng.Uint64N(4)), kind: evHeal})
	}
	if s.cfg.Faults.Crashes && s.rng.Float64() < 0.15 {
		s.crash(s.nodes[s.rng.IntN(len(s.nodes))])
	}
	s.sched.push(&event{at: s.faultTick(), kind: evFaultTick})
}

// partitionShape draws one of several shapes: two halves, one node cut
// off, three groups (no quorum anywhere), or a random split.
func (s *simulation) partitionShape() [][]int {
	n := len(s.nodes)
	perm := s.rng.Perm(n)
	switch s.rng.IntN(4) {
	case 0:
		return [][]int{perm[:n/2], perm[n/2:]}
	case 1:
		return [][]int{perm[:1], perm[1:]}
	case 2:
		a, b := n/3, 2*n/3
		return [][]int{perm[:a], perm[a:b], perm[b:]}
	default:
		cut := 1 + s.rng.IntN(max(n-1, 1))
		return [][]int{perm[:cut], perm[cut:]}
	}
}

func (s *simulation) crash(n *node) {
	if !n.up {
		return
	}
	s.res.Crashes++
	n.up = false
	n.core = nil
	n.timerGen++
	if s.phase == faultPhase {
		s.scheduleRestart(n)
	}
}

func (s *simulation) scheduleRestart(n *node) {
	s.sched.push(&event{at: s.sched.now + s.cfg.BaseTimeout*(1+s.rng.Uint64N(5)), kind: evRestart, node: n.id})
}

func (s *simulation) restart(n *node) {
	if n.up {
		return
	}
	if err := s.boot(n); err != nil {
		s.fail("restart: %v", err)
		return
	}
	s.flush(n)
}

// heal ends the fault phase: partitions close, loss stops, crashed nodes
// come back. From here honest validators must commit within a bound.
func (s *simulation) heal() {
	s.phase = livenessPhase
	s.partition = nil
	for _, n := range s.nodes {
		if !n.up {
			s.restart(n)
		}
	}
	s.healRound = s.maxRound()
	s.healHeight = s.check.maxHeight
	s.healTime = s.sched.now
}

// checkLiveness ends the run once every honest node committed past the
// height known at the heal, or fails it when the round bound passes first.
func (s *simulation) checkLiveness() {
	const newBlocks = 3
	all := true
	for _, n := range s.nodes {
		if !n.byzantine() && n.height < s.healHeight+newBlocks {
			all = false
			break
		}
	}
	round := s.maxRound()
	if all {
		s.res.Live = true
		s.res.RecoveryRounds = round - s.healRound
		s.phase = done
		return
	}
	if round > s.healRound+s.cfg.LivenessRounds || s.sched.now > s.healTime+s.cfg.LivenessRounds*s.cfg.MaxTimeout*2 {
		s.fail("LIVENESS: %d rounds after the heal at round %d, not every honest validator committed %d new blocks past height %d",
			round-s.healRound, s.healRound, newBlocks, s.healHeight)
		s.fail("state:%s", s.describe())
		s.phase = done
	}
}

// describe summarises each node for a failure report.
func (s *simulation) describe() string {
	out := ""
	for _, n := range s.nodes {
		if n.core == nil {
			out += fmt.Sprintf("\n  node %d (validator %d, %s): down", n.id, n.index, n.behaviour)
			continue
		}
		st := n.core.Stats()
		out += fmt.Sprintf("\n  node %d (validator %d, %s): height %d, %s, drops %v", n.id, n.index, n.behaviour, n.height, n.core.Describe(), st.Dropped)
	}
	return out
}
