package staking

import (
	"math/bits"

	"github.com/lazchain/lazchain/internal/types"
)

// RecordBlock counts one committed block for liveness: its proposer and
// the signers of the QC it carries, as indices into the current set.
// Indices outside the set are ignored, so a QC of the previous epoch's set
// carried across the boundary cannot credit the wrong member.
func (s *State) RecordBlock(proposer uint32, signers types.Bitmap) {
	s.blocks++
	if int64(proposer) < int64(len(s.signed)) {
		s.signed[proposer]++
	}
	for i := range min(len(s.signed), len(signers)*8) {
		if signers.Has(i) {
			s.signed[i]++
		}
	}
}

// EndBlock is called after each committed block's transactions. When the
// block is the epoch's last (height (epoch+1)*EpochLength) it ends the
// epoch, in this order:
//
//  1. members that signed or proposed less than DowntimeMinSignedBps of
//     the epoch's blocks are slashed SlashDowntimeBps and jailed;
//  2. EpochReward is paid to the ending set pro rata to Power;
//  3. the next set is chosen from the validators' current stake;
//  4. the epoch advances and liveness counting starts again.
//
// A height past the boundary also ends the epoch (one epoch per call), so a
// caller that skipped a call is late rather than stuck. It returns the
// change, or nil when the epoch goes on.
func (s *State) EndBlock(bank Bank, height uint64) *EpochChange {
	hi, end := bits.Mul64(s.epoch+1, s.params.EpochLength)
	if hi != 0 || s.epoch+1 == 0 || height < end {
		return nil
	}
	ending := s.sets[s.epoch]
	s.punishDowntime(ending, height)
	s.payRewards(bank, ending)
	next := s.nextSet(ending)

	s.epoch++
	s.sets[s.epoch] = next
	s.prune()
	s.signed = make([]uint64, len(next))
	s.blocks = 0
	return &EpochChange{Epoch: s.epoch, LastHeight: height, Set: cloneMembers(next)}
}

// punishDowntime slashes members whose signed*10000 < minBps*blocks. An
// epoch with no recorded blocks punishes no one: the caller may not feed
// liveness at all.
func (s *State) punishDowntime(set []Member, height uint64) {
	minBps := uint64(s.params.DowntimeMinSignedBps)
	if s.blocks == 0 || minBps == 0 {
		return
	}
	for i, m := range set {
		if lessProduct(s.signed[i], MaxBps, minBps, s.blocks) {
			s.Slash(nil, height, m.Operator, s.params.SlashDowntimeBps, true, nil)
		}
	}
}

// nextSet returns the validators that are not jailed and hold at least
// MinStake, by Tokens descending then operator ascending, at most
// MaxValidators of them, with Power = Tokens. If none qualifies the old
// set stays: a chain with an empty set could never commit again.
func (s *State) nextSet(old []Member) []Member {
	var cands []Member
	for _, v := range s.validators {
		if !v.Jailed && v.Tokens >= s.params.MinStake {
			cands = append(cands, v.member())
		}
	}
	sortMembers(cands)
	cands = cands[:min(len(cands), s.params.MaxValidators)]
	// Quorum math needs the total power in 64 bits; drop the tail that
	// would overflow it (unreachable while the supply fits in 64 bits).
	var total uint64
	for i, m := range cands {
		var ok bool
		if total, ok = add(total, m.Power); !ok {
			cands = cands[:i]
			break
		}
	}
	if len(cands) == 0 {
		return cloneMembers(old)
	}
	return cands
}

// prune drops sets and punished offenses older than the evidence window.
func (s *State) prune() {
	if s.epoch < s.params.EvidenceMaxAgeEpochs {
		return
	}
	oldest := s.epoch - s.params.EvidenceMaxAgeEpochs
	for e := range s.sets {
		if e < oldest {
			delete(s.sets, e)
		}
	}
	for o := range s.punished {
		if o.epoch < oldest {
			delete(s.punished, o)
		}
	}
}
