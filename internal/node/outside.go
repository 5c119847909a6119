package node

import (
	"bytes"
	"slices"
	"sync"
	"time"

	"github.com/lazchain/lazchain/internal/p2p"
)

// askElsewhere sends a block request whose validator is not connected to
// another connected peer, in rotation: any peer serves blocks from its
// store, and a node behind by epochs may find the set it is stuck in
// gone while later validators and full nodes hold the blocks.
func (n *Node) askElsewhere(skip p2p.NodeID, payload []byte) {
	peers := n.host.Peers()
	slices.SortFunc(peers, func(a, b p2p.NodeID) int { return bytes.Compare(a[:], b[:]) })
	for range peers {
		p := peers[n.fallback.Add(1)%uint64(len(peers))]
		if p != skip && n.host.Send(p, chanConsensus, payload) {
			n.askedOutside.note(p, time.Now())
			return
		}
	}
}

// askedSet remembers the peers outside the set that a block request went
// to, so only their answers are taken (see onFrame).
type askedSet struct {
	mu sync.Mutex
	at map[p2p.NodeID]time.Time
}

// outsideAnswerWindow is how long an answer from outside the set is
// expected after asking.
const outsideAnswerWindow = 10 * time.Second

func (s *askedSet) note(p p2p.NodeID, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.at == nil || len(s.at) > 1024 {
		s.at = map[p2p.NodeID]time.Time{}
	}
	s.at[p] = now
}

func (s *askedSet) recent(p p2p.NodeID, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.at[p]
	return ok && now.Sub(at) < outsideAnswerWindow
}
