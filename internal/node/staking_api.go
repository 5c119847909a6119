package node

import (
	"errors"
	"fmt"

	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

// ValidatorsAt lists the set of a recorded epoch in index order.
func (n *Node) ValidatorsAt(epoch uint64) ([]ValidatorInfo, error) {
	e, err := n.machine.EpochAt(epoch)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("epoch %d (current is %d): %w", epoch, n.Epoch(), ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return validatorInfos(e), nil
}

// EpochInfo is one epoch: its set, where it starts and ends, and, once it
// has ended, the QC of its own validators that committed its last block.
type EpochInfo struct {
	Epoch    *state.Epoch
	Root     types.Hash
	EndProof *types.QC // nil while the epoch runs
	// Cert is the previous epoch's certificate over this epoch's set; nil
	// for epoch 0 and until enough of those validators have signed.
	Cert       *types.EpochCert
	Validators []ValidatorInfo
}

// EpochInfo returns a recorded epoch.
func (n *Node) EpochInfo(epoch uint64) (*EpochInfo, error) {
	e, err := n.machine.EpochAt(epoch)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("epoch %d (current is %d): %w", epoch, n.Epoch(), ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	info := &EpochInfo{Epoch: e, Root: e.Root(n.chainID).ID(), Validators: validatorInfos(e)}
	if c, err := n.machine.EpochCert(epoch); err == nil {
		info.Cert = c
	}
	if epoch < n.Epoch() {
		if qc, err := n.store.EpochProof(epoch); err == nil {
			info.EndProof = qc
		}
	}
	return info, nil
}

// Account returns an address's balance and nonce with its stake.
func (n *Node) Account(a staking.Address) (state.Account, []staking.Delegation, []staking.UnbondingEntry, *staking.Validator) {
	s := n.machine.Staking()
	var val *staking.Validator
	if v, ok := s.Validator(a); ok {
		val = &v
	}
	return n.machine.Account(a), s.DelegationsOf(a), s.Unbonding(a), val
}

// Candidates lists every registered validator, active or not.
func (n *Node) Candidates() []staking.Validator { return n.machine.Staking().Validators() }

// Offenses lists the punished double signs on record.
func (n *Node) Offenses() []staking.Offense { return n.machine.Staking().Offenses() }

// StakingParams returns the chain's staking parameters.
func (n *Node) StakingParams() staking.Params { return n.machine.Staking().Params() }

// PendingNonce is the nonce an account's next transaction should carry on
// this node: past the committed one and every one its mempool holds.
func (n *Node) PendingNonce(a staking.Address, committed uint64) uint64 {
	return n.pool.NextNonce(a[:], committed)
}
