package sim

import (
	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/types"
)

// equivocate sends the real proposal to some validators and a conflicting
// one, signed with the same key, to the rest. Half the time the conflict
// has the same parent and the split is even; otherwise it extends the QC
// two blocks back, skipping the block that the real proposal's QC just
// committed, and the real proposal goes to one validator only, which
// then commits that block. Only a broken voting rule accepts the stale
// fork, and then the fork commits a different block at the same height.
func (s *simulation) equivocate(n *node, p *types.Proposal) {
	b := p.Block
	qc, height, share, state := b.QC, b.Height, 0.5, b.State
	if s.rng.IntN(2) == 0 {
		if alt, h, ok := s.staleQC(n, b); ok {
			qc, height, share = alt, h, 0.0
			if par := n.core.Block(alt.BlockID); par != nil {
				state = par.State // what honest voters re-derive for the fork's parent
			}
		}
	}
	alt := types.NewBlockWithState(b.Epoch, b.Round, height, qc, b.Proposer, state, s.payload())
	s.forks[alt.ID()] = alt.Height
	raw := rawSigner{chainID: s.set.ChainID, key: n.key, index: uint32(n.index)}
	sig, _ := raw.SignProposal(alt)
	other := &types.Proposal{Block: alt, TC: p.TC, Sig: sig}
	var first, second []*node
	dests := s.destinations(n, consensus.Broadcast)
	lightest := 0 // the stale fork needs every vote but the one it fools
	for i, d := range dests {
		if s.set.StakeOf(d.index) < s.set.StakeOf(dests[lightest].index) {
			lightest = i
		}
	}
	for i, d := range dests {
		if (share == 0 && i == lightest) || (share > 0 && s.rng.Float64() < share) {
			first = append(first, d)
		} else {
			second = append(second, d)
		}
	}
	s.transmit(n, first, types.EncodeMessage(p))
	s.transmit(n, second, types.EncodeMessage(other))
	// It backs its fork with its own vote, as a real attacker would, and
	// so does every double voter: their cores vote for the block they
	// see, so the Byzantine stake backs both sides of the fork, which is
	// what quorum intersection must survive.
	collector := s.destinations(n, n.core.Leader(alt.Round+1))
	for _, d := range s.nodes {
		if d.id == n.id || (d.behaviour == DoubleVoter && d.up) {
			r := rawSigner{chainID: s.set.ChainID, key: d.key, index: uint32(d.index)}
			s.transmit(d, collector, types.EncodeMessage(r.vote(alt.Epoch, alt.Round, alt.ID())))
		}
	}
}

// staleQC returns the QC two blocks below b and the height a block on it
// would have.
func (s *simulation) staleQC(n *node, b *types.Block) (*types.QC, uint64, bool) {
	parent := n.core.Block(b.Parent)
	if parent == nil || parent.QC == nil {
		return nil, 0, false
	}
	grand := n.core.Block(parent.Parent)
	if grand == nil || grand.QC == nil {
		return nil, 0, false
	}
	return grand.QC, grand.Height, true
}

// doubleVote sends, next to a vote, a validly signed vote for a block that
// does not exist.
func (s *simulation) doubleVote(n *node, to int, v *types.Vote) {
	raw := rawSigner{chainID: s.set.ChainID, key: n.key, index: uint32(n.index)}
	var fake types.Hash
	for i := range fake {
		fake[i] = byte(s.rng.Uint32())
	}
	s.transmit(n, s.destinations(n, to), types.EncodeMessage(raw.vote(v.Epoch, v.Round, fake)))
}

// garbage sends, next to each real message, one of: random bytes, the
// message truncated, the message with a corrupted signature, or a vote
// that claims to come from another validator.
func (s *simulation) garbage(n *node, m consensus.Outbound) {
	to := s.destinations(n, m.To)
	enc := types.EncodeMessage(m.Msg)
	var junk []byte
	switch s.rng.IntN(4) {
	case 0:
		junk = make([]byte, 1+s.rng.IntN(200))
		for i := range junk {
			junk[i] = byte(s.rng.Uint32())
		}
	case 1:
		junk = enc[:s.rng.IntN(len(enc))]
	case 2:
		junk = append([]byte(nil), enc...)
		junk[len(junk)-1-s.rng.IntN(min(len(junk), 40))] ^= 0x5a
	case 3:
		victim := uint32(s.rng.IntN(s.set.Len()))
		junk = types.EncodeMessage(&types.Vote{Epoch: s.set.Epoch, Round: n.core.Round(), Voter: victim, Sig: make([]byte, s.set.Scheme.SignatureSize())})
	}
	s.transmit(n, to, junk)
}
