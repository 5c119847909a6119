package types

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/lazchain/lazchain/internal/crypto"
	"github.com/lazchain/lazchain/internal/quorum"
)

// Errors of certificate and signature checks.
var (
	ErrBadSignature = errors.New("types: bad signature")
	ErrNoQuorum     = errors.New("types: signers lack quorum stake")
	ErrWrongEpoch   = errors.New("types: wrong epoch")
	ErrUnknownIndex = errors.New("types: unknown validator index")
)

// Validator is one member of an epoch's set.
type Validator struct {
	PubKey crypto.PublicKey
	Stake  uint64
}

// ValidatorSet is the frozen set of one epoch: order is index order, and
// every certificate's bitmap refers to it.
type ValidatorSet struct {
	ChainID    string
	Epoch      uint64
	Validators []Validator
	Scheme     crypto.Scheme

	total      uint64
	threshold  uint64
	cumulative []uint64 // cumulative[i] = stake of validators 0..i
	index      map[string]int
}

// NewValidatorSet checks stakes and builds lookup tables.
func NewValidatorSet(chainID string, epoch uint64, scheme crypto.Scheme, vals []Validator) (*ValidatorSet, error) {
	if len(vals) > MaxValidators {
		return nil, fmt.Errorf("validator set of %d is over the limit %d", len(vals), MaxValidators)
	}
	stakes := make([]uint64, len(vals))
	for i, v := range vals {
		stakes[i] = v.Stake
	}
	total, err := quorum.Total(stakes)
	if err != nil {
		return nil, fmt.Errorf("epoch %d validator set: %w", epoch, err)
	}
	vs := &ValidatorSet{
		ChainID: chainID, Epoch: epoch, Validators: vals, Scheme: scheme,
		total: total, threshold: quorum.Threshold(total),
		cumulative: make([]uint64, len(vals)), index: make(map[string]int, len(vals)),
	}
	var sum uint64
	for i, v := range vals {
		sum += v.Stake
		vs.cumulative[i] = sum
		k := string(v.PubKey.Bytes())
		if _, dup := vs.index[k]; dup {
			return nil, fmt.Errorf("epoch %d: validator %d repeats a public key", epoch, i)
		}
		vs.index[k] = i
	}
	return vs, nil
}

// Len returns the number of validators.
func (vs *ValidatorSet) Len() int { return len(vs.Validators) }

// TotalStake returns the sum of all stakes.
func (vs *ValidatorSet) TotalStake() uint64 { return vs.total }

// QuorumStake returns the least stake that is a quorum.
func (vs *ValidatorSet) QuorumStake() uint64 { return vs.threshold }

// IndexOf returns the index of a public key, or -1.
func (vs *ValidatorSet) IndexOf(pub []byte) int {
	if i, ok := vs.index[string(pub)]; ok {
		return i
	}
	return -1
}

// StakeOf returns the stake of index i, or 0 if out of range.
func (vs *ValidatorSet) StakeOf(i int) uint64 {
	if i < 0 || i >= len(vs.Validators) {
		return 0
	}
	return vs.Validators[i].Stake
}

// BitmapStake sums the stake of the validators marked in b.
func (vs *ValidatorSet) BitmapStake(b Bitmap) uint64 {
	var s uint64
	for _, i := range b.Indices() {
		s += vs.StakeOf(i)
	}
	return s
}

// Leader returns the proposer of round: a stake-weighted draw from a hash of
// the epoch and round. Every node computes the same leader, and over many
// rounds each validator leads in proportion to its stake.
func (vs *ValidatorSet) Leader(round uint64) int {
	return vs.draw(round, vs.cumulative)
}

// LeaderWeighted draws round's proposer from the same hash as Leader, with
// validator i weighted by cumulative[i]-cumulative[i-1] instead of its
// stake. With the stakes as weights it returns what Leader does, so a
// schedule that adjusts weights only for some validators leaves every other
// round's leader where it was whenever it adjusts none.
func (vs *ValidatorSet) LeaderWeighted(round uint64, cumulative []uint64) int {
	if len(cumulative) != len(vs.cumulative) || cumulative[len(cumulative)-1] == 0 {
		return vs.Leader(round)
	}
	return vs.draw(round, cumulative)
}

func (vs *ValidatorSet) draw(round uint64, cumulative []uint64) int {
	var seed [16]byte
	binary.BigEndian.PutUint64(seed[:8], vs.Epoch)
	binary.BigEndian.PutUint64(seed[8:], round)
	h := HashOf(seed[:])
	// The modulo bias is below total/2^64, negligible for any real stake.
	ticket := binary.BigEndian.Uint64(h[:8]) % cumulative[len(cumulative)-1]
	return sort.Search(len(cumulative), func(i int) bool { return cumulative[i] > ticket })
}

// VerifySig checks one validator's signature over msg.
func (vs *ValidatorSet) VerifySig(i int, msg, sig []byte) error {
	if i < 0 || i >= len(vs.Validators) {
		return fmt.Errorf("validator %d of %d: %w", i, len(vs.Validators), ErrUnknownIndex)
	}
	if !vs.Scheme.Verify(vs.Validators[i].PubKey, msg, sig) {
		return fmt.Errorf("validator %d: %w", i, ErrBadSignature)
	}
	return nil
}

// checkSigners validates a bitmap's shape and that it carries quorum stake.
func (vs *ValidatorSet) checkSigners(b Bitmap) error {
	if err := b.CheckSize(len(vs.Validators)); err != nil {
		return err
	}
	if stake := vs.BitmapStake(b); stake < vs.threshold {
		return fmt.Errorf("stake %d of %d, need %d: %w", stake, vs.total, vs.threshold, ErrNoQuorum)
	}
	return nil
}

// VerifyAggregate checks a quorum certificate shape: signers marked in b
// carry a quorum and their aggregate signature over msg is valid. One
// pairing check whatever the number of signers.
func (vs *ValidatorSet) VerifyAggregate(b Bitmap, msg, sig []byte) error {
	if err := vs.checkSigners(b); err != nil {
		return err
	}
	idx := b.Indices()
	pks := make([]crypto.PublicKey, len(idx))
	for j, i := range idx {
		pks[j] = vs.Validators[i].PubKey
	}
	if !vs.Scheme.VerifyAggregate(pks, msg, sig) {
		return fmt.Errorf("aggregate of %d signers: %w", len(idx), ErrBadSignature)
	}
	return nil
}
