package consensus_test

import "github.com/lazchain/lazchain/internal/types"

// match selects envelopes, for filters and for searching the wire.
type match func(e envelope) bool

func from(i int) match          { return func(e envelope) bool { return e.from == i } }
func to(i int) match            { return func(e envelope) bool { return e.to == i } }
func ofKind(k types.Kind) match { return func(e envelope) bool { return e.msg.Kind() == k } }
func inRounds(lo, hi uint64) match {
	return func(e envelope) bool { r, ok := roundOf(e.msg); return ok && lo <= r && r <= hi }
}

func allOf(ms ...match) match {
	return func(e envelope) bool {
		for _, m := range ms {
			if !m(e) {
				return false
			}
		}
		return true
	}
}

func anyOf(ms ...match) match {
	return func(e envelope) bool {
		for _, m := range ms {
			if m(e) {
				return true
			}
		}
		return false
	}
}

// isolated matches everything to or from validator i.
func isolated(i int) match { return anyOf(from(i), to(i)) }

// roundOf is the round a proposal, vote or timeout is about.
func roundOf(m types.Message) (uint64, bool) {
	switch m := m.(type) {
	case *types.Proposal:
		return m.Block.Round, true
	case *types.Vote:
		return m.Round, true
	case *types.Timeout:
		return m.Round, true
	case *types.Certified:
		return m.QC.Round + 1, true // it opens the round, ahead of that round's proposal
	}
	return 0, false
}
