// Package staking is lazchain's proof-of-stake state: validators,
// delegations, unbonding, epochs, rewards and slashing. It decides which
// validators form each epoch's active set and with what power.
//
// It is pure and deterministic: no I/O, no clock, no goroutines, no
// floating point, and maps are only iterated in sorted order. Every a*b/c
// is computed in 128 bits and every sum is checked for overflow. Liquid
// balances belong to the state machine and are reached through the Bank
// interface; everything else is owned here and persisted with Encode.
//
// # Tokens and shares
//
// A validator's Tokens is all stake bonded to it, its operator's and its
// delegators'. Each delegation holds shares; a share is worth
// Tokens/Shares. Delegating buys shares at that rate rounded down, and
// undelegating an amount of tokens burns shares rounded up, so rounding
// always favors the delegators who stay. A slash lowers Tokens only: every
// delegator loses the same fraction without any per-delegator write.
// Rewards are paid to liquid balances, so they never change share value.
//
// # Unbonding stays slashable
//
// Undelegated tokens leave Tokens at once (they no longer count for the
// next set) but wait UnbondingBlocks in an unbonding entry that Slash cuts
// by the same fraction as the validator's Tokens. Stake that backed a
// misbehaving epoch therefore cannot escape by leaving first. Every entry
// of the validator is cut, even one started before the offense: simpler,
// and never lenient. The guarantee is complete only if UnbondingBlocks >=
// (EvidenceMaxAgeEpochs+1)*EpochLength, the time evidence about an epoch
// stays admissible; the defaults (200 < 3*100) leave entries created in an
// epoch withdrawable before evidence about it expires, so evidence must
// arrive within UnbondingBlocks to reach them.
//
// # Epochs
//
// The genesis validators, in genesis order, are epoch 0's set. After the
// block at height (epoch+1)*EpochLength, EndBlock ends the epoch in a fixed
// order: (1) members that signed or proposed fewer than
// DowntimeMinSignedBps of the epoch's blocks (as fed by RecordBlock) are
// slashed SlashDowntimeBps and jailed; (2) EpochReward is minted to the
// ending set's members that are not jailed, pro rata to Power, split into
// the operator's commission and the delegators' part pro rata to shares,
// rounding dust to the operator; (3) the next set is the non-jailed
// validators with Tokens >= MinStake, by Tokens descending then operator,
// at most MaxValidators, with Power = Tokens (if none qualifies the old
// set stays, so the chain cannot halt); (4) the epoch advances. The last
// EvidenceMaxAgeEpochs+1 sets are kept to check evidence against.
//
// # Slashing
//
// Slash is the single hook for punishment: equivocation evidence, downtime
// and, later, iDAO attestations and disputes. It pays ReporterRewardBps of
// what it takes to the reporter and burns the rest; Supply tracks minted
// and burned amounts so CheckSupply can prove no token was created or lost.
//
// # Transactions
//
// Exec runs one transaction body of a staking kind (KindTransfer ..
// KindEvidence). Bodies have a version byte and one canonical encoding.
// A transaction is checked completely before its first write, so a
// failure (a *Failure with a Code from 16 up) changes nothing.
//
// The package never signs, never reads the network or disk, and never
// decides when blocks commit: it is told about committed blocks.
package staking
