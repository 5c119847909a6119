package staking

import (
	"errors"
	"fmt"

	"github.com/lazchain/lazchain/internal/types"
)

// MaxBps is 100% in basis points.
const MaxBps = 10_000

// ErrParams is wrapped by every Params.Validate error.
var ErrParams = errors.New("staking: invalid params")

// Params are the chain's staking rules. They go in genesis.json under
// "staking" and never change afterwards.
type Params struct {
	EpochLength          uint64 `json:"epoch_length"`            // committed blocks per epoch
	UnbondingBlocks      uint64 `json:"unbonding_blocks"`        // blocks an undelegation stays slashable
	MaxValidators        int    `json:"max_validators"`          // seats in an epoch's active set
	MinStake             uint64 `json:"min_stake"`               // least Tokens to hold a seat
	EpochReward          uint64 `json:"epoch_reward"`            // minted at each epoch end
	SlashEquivocationBps uint32 `json:"slash_equivocation_bps"`  // taken for a double sign
	SlashDowntimeBps     uint32 `json:"slash_downtime_bps"`      // taken for missing too many blocks
	DowntimeMinSignedBps uint32 `json:"downtime_min_signed_bps"` // share of the epoch's blocks to sign or propose
	ReporterRewardBps    uint32 `json:"reporter_reward_bps"`     // share of a slash paid to its reporter; the rest burns
	JailEpochs           uint64 `json:"jail_epochs"`             // epochs a jailed validator sits out
	EvidenceMaxAgeEpochs uint64 `json:"evidence_max_age_epochs"` // how many past epochs evidence may name
}

// DefaultParams returns the rules a fresh testnet starts with.
func DefaultParams() Params {
	return Params{
		EpochLength:          100,
		UnbondingBlocks:      300, // (EvidenceMaxAgeEpochs+1) * EpochLength: slashable as long as evidence is accepted
		MaxValidators:        100,
		MinStake:             1_000,
		EpochReward:          1_000,
		SlashEquivocationBps: 500,
		SlashDowntimeBps:     100,
		DowntimeMinSignedBps: 500,
		ReporterRewardBps:    1000,
		JailEpochs:           1,
		EvidenceMaxAgeEpochs: 2,
	}
}

// Validate rejects values the state machine cannot run with. Zero is
// allowed where it simply turns a feature off (no inflation, no downtime
// check, no reporter reward, no jail time, current-epoch evidence only).
func (p Params) Validate() error {
	switch {
	case p.EpochLength == 0:
		return fmt.Errorf("%w: epoch_length is 0; set the number of blocks per epoch (default 100)", ErrParams)
	case p.UnbondingBlocks == 0:
		return fmt.Errorf("%w: unbonding_blocks is 0; undelegated stake must stay slashable for a while (default 300)", ErrParams)
	case p.UnbondingBlocks/p.EpochLength < p.EvidenceMaxAgeEpochs+1:
		// Otherwise stake could be unbonded and withdrawn while evidence
		// of what it did is still accepted, and escape the slash.
		return fmt.Errorf("%w: unbonding_blocks %d is shorter than the evidence window of %d epochs of %d blocks; make it at least %d",
			ErrParams, p.UnbondingBlocks, p.EvidenceMaxAgeEpochs+1, p.EpochLength, (p.EvidenceMaxAgeEpochs+1)*p.EpochLength)
	case p.MaxValidators <= 0 || p.MaxValidators > types.MaxValidators:
		return fmt.Errorf("%w: max_validators is %d; it must be in 1..%d", ErrParams, p.MaxValidators, types.MaxValidators)
	case p.MinStake == 0:
		return fmt.Errorf("%w: min_stake is 0; a seat must cost something (default 1000)", ErrParams)
	}
	bps := []struct {
		name string
		v    uint32
	}{
		{"slash_equivocation_bps", p.SlashEquivocationBps},
		{"slash_downtime_bps", p.SlashDowntimeBps},
		{"downtime_min_signed_bps", p.DowntimeMinSignedBps},
		{"reporter_reward_bps", p.ReporterRewardBps},
	}
	for _, b := range bps {
		if b.v > MaxBps {
			return fmt.Errorf("%w: %s is %d; basis points must be at most %d (100%%)", ErrParams, b.name, b.v, MaxBps)
		}
	}
	return nil
}
