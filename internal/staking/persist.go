package staking

import (
	"fmt"
	"math"
	"slices"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/types"
)

// StateVersion is the first byte of an encoded State.
const StateVersion uint8 = 3 // 2: validators carry SlashableUntil; 3: unbonding entries carry LockedUntil

// Smallest encodings of repeated records, which bound what a count may
// claim before anything is allocated.
const (
	minValidatorSize = 32 + 32 + 4 + 4 + 4 + 4 + 8 + 8 + 1 + 8
	minMemberSize    = 32 + 32 + 4 + 4 + 4 + 8
	delegationSize   = 32 + 32 + 8
	unbondingSize    = 32 + 32 + 8 + 8 + 8
	offenseSize      = 8 + 8 + 4
)

// Encode returns the canonical encoding of s: every collection is written
// in sorted order (unbonding entries in creation order), so equal states
// encode to equal bytes and Decode(Encode(s)) encodes to the same bytes.
func (s *State) Encode() []byte {
	w := codec.NewWriter(4096)
	w.U8(StateVersion)
	w.VarBytes([]byte(s.chainID))
	encodeParams(w, s.params)
	w.U64(s.epoch)
	w.U64(s.minted)
	w.U64(s.burned)
	w.U64(s.blocks)
	w.U32(uint32(len(s.signed)))
	for _, n := range s.signed {
		w.U64(n)
	}
	ops := sortedAddrs(s.validators)
	w.U32(uint32(len(ops)))
	for _, a := range ops {
		encodeValidator(w, s.validators[a])
	}
	var dels []Delegation
	for _, val := range sortedAddrs(s.delegations) {
		for _, d := range sortedAddrs(s.delegations[val]) {
			dels = append(dels, Delegation{Validator: val, Delegator: d, Shares: s.delegations[val][d]})
		}
	}
	w.U32(uint32(len(dels)))
	for _, d := range dels {
		w.Fixed(d.Validator[:])
		w.Fixed(d.Delegator[:])
		w.U64(d.Shares)
	}
	w.U32(uint32(len(s.unbonding)))
	for _, e := range s.unbonding {
		w.Fixed(e.Delegator[:])
		w.Fixed(e.Validator[:])
		w.U64(e.Amount)
		w.U64(e.CompleteHeight)
		w.U64(e.LockedUntil)
	}
	epochs := sortedKeys(s.sets, func(a, b uint64) bool { return a < b })
	w.U32(uint32(len(epochs)))
	for _, e := range epochs {
		w.U64(e)
		w.U32(uint32(len(s.sets[e])))
		for _, m := range s.sets[e] {
			encodeMember(w, m)
		}
	}
	offs := sortedKeys(s.punished, offenseLess)
	w.U32(uint32(len(offs)))
	for _, o := range offs {
		w.U64(o.epoch)
		w.U64(o.round)
		w.U32(o.signer)
	}
	return w.Bytes()
}

// Decode parses what Encode wrote and checks that the result is a
// consistent state: sorted, no dangling references, shares that add up.
// Anything else is rejected, so a decoded state is one Exec could reach.
func Decode(b []byte) (*State, error) {
	r := codec.NewReader(b)
	r.Version(StateVersion)
	chainID := string(r.VarBytes(types.MaxChainIDLen))
	s := newState(chainID, decodeParams(r))
	s.epoch, s.minted, s.burned, s.blocks = r.U64(), r.U64(), r.U64(), r.U64()
	s.signed = make([]uint64, r.Count(types.MaxValidators, 8))
	for i := range s.signed {
		s.signed[i] = r.U64()
	}
	var last *Address
	for range r.Count(math.MaxInt32, minValidatorSize) {
		v := decodeValidator(r)
		if r.Err() == nil && last != nil && !addrLess(*last, v.Operator) {
			r.Fail(fmt.Errorf("validator %s out of order: %w", v.Operator, codec.ErrInvalid))
		}
		last = &v.Operator
		if r.Err() == nil {
			s.validators[v.Operator] = v
		}
	}
	decodeDelegations(r, s)
	s.unbonding = make([]UnbondingEntry, r.Count(math.MaxInt32, unbondingSize))
	for i := range s.unbonding {
		e := &s.unbonding[i]
		copy(e.Delegator[:], r.Fixed(32))
		copy(e.Validator[:], r.Fixed(32))
		e.Amount, e.CompleteHeight, e.LockedUntil = r.U64(), r.U64(), r.U64()
	}
	decodeSets(r, s)
	decodePunished(r, s)
	if err := r.Finish(); err != nil {
		return nil, fmt.Errorf("decode staking state: %w", err)
	}
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("decode staking state: %w", err)
	}
	return s, nil
}

func encodeParams(w *codec.Writer, p Params) {
	w.U64(p.EpochLength)
	w.U64(p.UnbondingBlocks)
	w.U32(uint32(p.MaxValidators))
	w.U64(p.MinStake)
	w.U64(p.EpochReward)
	w.U32(p.SlashEquivocationBps)
	w.U32(p.SlashDowntimeBps)
	w.U32(p.DowntimeMinSignedBps)
	w.U32(p.ReporterRewardBps)
	w.U64(p.JailEpochs)
	w.U64(p.EvidenceMaxAgeEpochs)
}

func decodeParams(r *codec.Reader) Params {
	var p Params
	p.EpochLength, p.UnbondingBlocks = r.U64(), r.U64()
	mv := r.U32()
	if mv > types.MaxValidators {
		r.Fail(fmt.Errorf("max_validators %d: %w", mv, codec.ErrInvalid))
	}
	p.MaxValidators = int(min(mv, types.MaxValidators))
	p.MinStake, p.EpochReward = r.U64(), r.U64()
	p.SlashEquivocationBps, p.SlashDowntimeBps = r.U32(), r.U32()
	p.DowntimeMinSignedBps, p.ReporterRewardBps = r.U32(), r.U32()
	p.JailEpochs, p.EvidenceMaxAgeEpochs = r.U64(), r.U64()
	return p
}

func encodeValidator(w *codec.Writer, v *Validator) {
	w.Fixed(v.Operator[:])
	w.Fixed(v.NodeID[:])
	w.VarBytes(v.BLSKey)
	w.VarBytes([]byte(v.Name))
	w.VarBytes([]byte(v.NetAddr))
	w.U32(v.CommissionBps)
	w.U64(v.Tokens)
	w.U64(v.Shares)
	w.Bool(v.Jailed)
	w.U64(v.JailedUntil)
	w.U64(v.SlashableUntil)
}

func decodeValidator(r *codec.Reader) *Validator {
	v := &Validator{}
	copy(v.Operator[:], r.Fixed(32))
	copy(v.NodeID[:], r.Fixed(32))
	v.BLSKey = clone(readExact(r, BLSKeySize, "bls key"))
	v.Name = string(r.VarBytes(MaxNameLen))
	v.NetAddr = string(r.VarBytes(MaxNetAddrLen))
	v.CommissionBps = r.U32()
	v.Tokens, v.Shares = r.U64(), r.U64()
	v.Jailed = r.Bool()
	v.JailedUntil = r.U64()
	v.SlashableUntil = r.U64()
	return v
}

func encodeMember(w *codec.Writer, m Member) {
	w.Fixed(m.Operator[:])
	w.Fixed(m.NodeID[:])
	w.VarBytes(m.BLSKey)
	w.VarBytes([]byte(m.Name))
	w.VarBytes([]byte(m.NetAddr))
	w.U64(m.Power)
}

func decodeMember(r *codec.Reader) Member {
	var m Member
	copy(m.Operator[:], r.Fixed(32))
	copy(m.NodeID[:], r.Fixed(32))
	m.BLSKey = clone(readExact(r, BLSKeySize, "bls key"))
	m.Name = string(r.VarBytes(MaxNameLen))
	m.NetAddr = string(r.VarBytes(MaxNetAddrLen))
	m.Power = r.U64()
	return m
}

func decodeDelegations(r *codec.Reader, s *State) {
	var prevVal, prevDel Address
	for i := range r.Count(math.MaxInt32, delegationSize) {
		var val, del Address
		copy(val[:], r.Fixed(32))
		copy(del[:], r.Fixed(32))
		shares := r.U64()
		if r.Err() != nil {
			return
		}
		if i > 0 && !(addrLess(prevVal, val) || (prevVal == val && addrLess(prevDel, del))) {
			r.Fail(fmt.Errorf("delegation %s/%s out of order: %w", val, del, codec.ErrInvalid))
			return
		}
		if shares == 0 {
			r.Fail(fmt.Errorf("delegation %s/%s has no shares: %w", val, del, codec.ErrInvalid))
			return
		}
		prevVal, prevDel = val, del
		s.setShares(val, del, shares)
	}
}

func decodeSets(r *codec.Reader, s *State) {
	var prev uint64
	for i := range r.Count(math.MaxInt32, 8+4) {
		e := r.U64()
		n := r.Count(types.MaxValidators, minMemberSize)
		if r.Err() != nil {
			return
		}
		if i > 0 && e <= prev {
			r.Fail(fmt.Errorf("set of epoch %d out of order: %w", e, codec.ErrInvalid))
			return
		}
		prev = e
		set := make([]Member, n)
		for j := range set {
			set[j] = decodeMember(r)
		}
		s.sets[e] = set
	}
}

func decodePunished(r *codec.Reader, s *State) {
	var prev offense
	for i := range r.Count(math.MaxInt32, offenseSize) {
		o := offense{epoch: r.U64(), round: r.U64(), signer: r.U32()}
		if r.Err() != nil {
			return
		}
		if i > 0 && !offenseLess(prev, o) {
			r.Fail(fmt.Errorf("punished offense out of order: %w", codec.ErrInvalid))
			return
		}
		prev = o
		s.punished[o] = struct{}{}
	}
}

func offenseLess(a, b offense) bool {
	if a.epoch != b.epoch {
		return a.epoch < b.epoch
	}
	if a.round != b.round {
		return a.round < b.round
	}
	return a.signer < b.signer
}

// sortedKeys returns the keys of m ordered by less.
func sortedKeys[K comparable, V any](m map[K]V, less func(a, b K) bool) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b K) int {
		switch {
		case less(a, b):
			return -1
		case less(b, a):
			return 1
		}
		return 0
	})
	return out
}
