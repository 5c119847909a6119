package idao

import (
	"fmt"
	"slices"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/verify"
)

// Policy is what an iDAO's members agreed to check and how.
type Policy struct {
	Kinds []verify.Kind // accepted artifact kinds, sorted, no duplicates
	// The threshold is a fraction of the committee's stake that a
	// certificate must exceed strictly: 2/3 means more than two thirds.
	ThresholdNum, ThresholdDen uint32
	CommitteeSize              uint32
	ChallengeWindow            uint64 // blocks after attestation during which a verdict may be disputed
	DisputeBond                uint64
	SubmitFee                  uint64 // paid by the submitter, shared by the certificate's signers
}

// DefaultPolicy accepts every kind with a verifier, at more than 2/3.
func DefaultPolicy() Policy {
	return Policy{Kinds: []verify.Kind{verify.KindDataset, verify.KindModel, verify.KindAgentRun},
		ThresholdNum: 2, ThresholdDen: 3, CommitteeSize: 4, ChallengeWindow: 100, DisputeBond: 1000}
}

// MaxCommittee bounds a committee, and so a certificate's bitmap.
const MaxCommittee = 128

// Validate reports the first thing wrong with p.
func (p Policy) Validate() error {
	if len(p.Kinds) == 0 {
		return fmt.Errorf("policy accepts no artifact kind")
	}
	for i, k := range p.Kinds {
		if k != verify.KindDataset && k != verify.KindModel && k != verify.KindAgentRun {
			return fmt.Errorf("policy kind %s has no verifier", k)
		}
		if i > 0 && p.Kinds[i-1] >= k {
			return fmt.Errorf("policy kinds must be sorted and unique")
		}
	}
	switch {
	case p.ThresholdDen == 0 || p.ThresholdNum == 0 || p.ThresholdNum >= p.ThresholdDen:
		return fmt.Errorf("threshold %d/%d: want 0 < num < den", p.ThresholdNum, p.ThresholdDen)
	case 2*uint64(p.ThresholdNum) < uint64(p.ThresholdDen):
		// Below one half two disjoint halves could certify opposite verdicts.
		return fmt.Errorf("threshold %d/%d is below one half", p.ThresholdNum, p.ThresholdDen)
	case p.CommitteeSize == 0 || p.CommitteeSize > MaxCommittee:
		return fmt.Errorf("committee size %d: want 1..%d", p.CommitteeSize, MaxCommittee)
	case p.ChallengeWindow == 0 || p.ChallengeWindow > MaxChallengeWindow:
		// Unbounded, the end of the window could overflow and wrap to
		// before the attestation: every verdict final at once.
		return fmt.Errorf("challenge window %d blocks: want 1..%d", p.ChallengeWindow, MaxChallengeWindow)
	}
	return nil
}

// MaxChallengeWindow bounds a policy's challenge window: about a year of
// one-second blocks.
const MaxChallengeWindow = 1 << 25

// Accepts reports whether k is one of the policy's kinds.
func (p Policy) Accepts(k verify.Kind) bool { return slices.Contains(p.Kinds, k) }

// Reached reports whether signed power exceeds the threshold of total.
func (p Policy) Reached(signed, total uint64) bool {
	if total == 0 {
		return false
	}
	return mulGreater(signed, uint64(p.ThresholdDen), total, uint64(p.ThresholdNum))
}

func (p Policy) encode(w *codec.Writer) {
	w.U32(uint32(len(p.Kinds)))
	for _, k := range p.Kinds {
		w.U8(uint8(k))
	}
	w.U32(p.ThresholdNum)
	w.U32(p.ThresholdDen)
	w.U32(p.CommitteeSize)
	w.U64(p.ChallengeWindow)
	w.U64(p.DisputeBond)
	w.U64(p.SubmitFee)
}

func decodePolicy(r *codec.Reader) Policy {
	var p Policy
	n := r.Count(8, 1)
	for i := 0; i < n; i++ {
		p.Kinds = append(p.Kinds, verify.Kind(r.U8()))
	}
	p.ThresholdNum, p.ThresholdDen, p.CommitteeSize = r.U32(), r.U32(), r.U32()
	p.ChallengeWindow, p.DisputeBond, p.SubmitFee = r.U64(), r.U64(), r.U64()
	return p
}
