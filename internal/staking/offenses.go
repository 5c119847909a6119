package staking

import "sort"

// Offense is one punished double sign: the signer's index in the set of
// its epoch, and the round it signed twice in.
type Offense struct {
	Epoch  uint64 `json:"epoch"`
	Round  uint64 `json:"round"`
	Signer uint32 `json:"signer"`
}

// Offenses lists every punished double sign still on record, oldest first.
func (s *State) Offenses() []Offense {
	out := make([]Offense, 0, len(s.punished))
	for o := range s.punished {
		out = append(out, Offense{Epoch: o.epoch, Round: o.round, Signer: o.signer})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Epoch != b.Epoch {
			return a.Epoch < b.Epoch
		}
		if a.Round != b.Round {
			return a.Round < b.Round
		}
		return a.Signer < b.Signer
	})
	return out
}
