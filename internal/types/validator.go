package types

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"

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

	total     uint64
	threshold uint64
	schedule  []uint16 // leaders in turn; see Leader
	offset    uint64   // where epoch's rounds start in schedule
	index     map[string]int
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
		index: make(map[string]int, len(vals)),
	}
	vs.schedule = leaderSchedule(epoch, stakes, total)
	var seed [8]byte
	binary.BigEndian.PutUint64(seed[:], epoch)
	h := HashOf(seed[:])
	vs.offset = binary.BigEndian.Uint64(h[8:16]) % uint64(len(vs.schedule))
	for i, v := range vals {
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

// Leader returns the proposer of round: the epoch's schedule, in turn.
// Every node computes the same leader, each validator leads in proportion
// to its stake, and its turns are spread evenly. A stake-weighted draw per
// round (the first design) gave the same shares but in runs: a crashed
// validator then led or collected the votes of several rounds in a row,
// each a timeout, doubled for every consecutive one, and with one of four
// validators down the chain committed nothing for ten seconds at a time.
// Evenly spread, such a validator costs one round in each of its turns.
func (vs *ValidatorSet) Leader(round uint64) int {
	n := uint64(len(vs.schedule))
	return int(vs.schedule[(round%n+vs.offset)%n])
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

// leaderSchedule gives validator i about stakes[i]/total of the
// schedule's turns (at least one to the largest) by smooth weighted round
// robin, which spreads each validator's turns evenly: one with less than
// a third of the stake never leads two turns in a row
// (TestLeaderTurnsSpreadEvenly). Validators are taken in
// an order drawn from the epoch, so equal ones take turns in an order that
// changes from epoch to epoch. The schedule has 64 turns per validator, at
// most 4,096: building it costs turns × validators steps, a few
// milliseconds for the largest set.
func leaderSchedule(epoch uint64, stakes []uint64, total uint64) []uint16 {
	slots := uint64(min(64*len(stakes), 4096))
	weights := make([]int64, len(stakes))
	var sum int64
	for i, s := range stakes {
		hi, lo := bits.Mul64(s, slots)
		w, _ := bits.Div64(hi, lo, total) // s <= total, so no overflow
		weights[i] = int64(w)
		sum += weights[i]
	}
	if sum == 0 {
		weights[slices.Index(stakes, slices.Max(stakes))] = 1
		sum = 1
	}
	order := make([]int, 0, len(stakes))
	keys := make([]uint64, len(stakes))
	for i, w := range weights {
		if w == 0 {
			continue // too little stake for a turn
		}
		var seed [16]byte
		binary.BigEndian.PutUint64(seed[:8], epoch)
		binary.BigEndian.PutUint64(seed[8:], uint64(i))
		h := HashOf(seed[:])
		keys[i] = binary.BigEndian.Uint64(h[:8])
		order = append(order, i)
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Or(cmp.Compare(keys[a], keys[b]), cmp.Compare(a, b)) })
	current := make([]int64, len(stakes))
	out := make([]uint16, sum)
	for t := range out {
		best := -1
		for _, i := range order {
			current[i] += weights[i]
			if best < 0 || current[i] > current[best] {
				best = i
			}
		}
		current[best] -= sum
		out[t] = uint16(best)
	}
	return out
}
