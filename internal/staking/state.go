package staking

import (
	"bytes"
	"slices"
)

// Validator is one registered validator. Tokens is its bonded stake
// including delegations; Shares is the sum of its delegations' shares, so a
// share is worth Tokens/Shares and a slash of Tokens reaches every
// delegator pro rata without touching their records.
type Validator struct {
	Operator      Address
	NodeID        [32]byte
	BLSKey        []byte
	Name          string
	NetAddr       string
	CommissionBps uint32
	Tokens        uint64
	Shares        uint64
	Jailed        bool
	JailedUntil   uint64 // first epoch in which unjail is allowed
	// SlashableUntil is the height until which a verdict this validator
	// signed may still be overturned: until then the stake unbonding from
	// it stays slashable and cannot be withdrawn (see LockSlashable).
	SlashableUntil uint64
}

// Member is one seat of an epoch's active set. It is a snapshot: Power and
// keys do not change during the epoch, whatever happens to the validator.
type Member struct {
	Operator Address
	NodeID   [32]byte
	BLSKey   []byte
	Name     string
	NetAddr  string
	Power    uint64
}

// EpochChange is the set that rules from Epoch on, decided after block
// LastHeight.
type EpochChange struct {
	Epoch      uint64
	LastHeight uint64
	Set        []Member
}

// Delegation is a delegator's stake in one validator. Tokens is what the
// shares are worth now, rounded down.
type Delegation struct {
	Delegator Address
	Validator Address
	Shares    uint64
	Tokens    uint64
}

// UnbondingEntry is stake on its way out. It stays slashable for the
// validator's offenses until it is withdrawn.
type UnbondingEntry struct {
	Delegator      Address
	Validator      Address
	Amount         uint64
	CompleteHeight uint64
	// LockedUntil keeps the entry slashable, and unpaid, past
	// CompleteHeight: its stake was behind a verdict the validator signed
	// that a dispute may overturn until then (LockSlashable).
	LockedUntil uint64
}

// Ctx is what Exec needs from the block being executed.
type Ctx struct {
	Bank   Bank
	Height uint64
}

// offense identifies one punishable double sign: a validator is punished
// at most once per (epoch, round), whatever it signed.
type offense struct {
	epoch, round uint64
	signer       uint32
}

// State is the whole staking state. It changes only through Exec,
// RecordBlock, EndBlock and Slash; maps are only ever iterated in sorted
// order, so every result and encoding is deterministic.
type State struct {
	chainID string
	params  Params
	epoch   uint64

	validators  map[Address]*Validator
	delegations map[Address]map[Address]uint64 // validator -> delegator -> shares
	unbonding   []UnbondingEntry               // in creation order
	sets        map[uint64][]Member            // retained active sets by epoch
	punished    map[offense]struct{}

	// Liveness of the current set: signed[i] counts blocks member i
	// proposed or signed the QC of; blocks counts RecordBlock calls.
	signed []uint64
	blocks uint64

	minted, burned uint64

	// Indexes derived from validators, rebuilt by Decode.
	blsKeys map[string]Address
	nodeIDs map[[32]byte]Address
}

func newState(chainID string, p Params) *State {
	return &State{
		chainID:     chainID,
		params:      p,
		validators:  map[Address]*Validator{},
		delegations: map[Address]map[Address]uint64{},
		sets:        map[uint64][]Member{},
		punished:    map[offense]struct{}{},
		blsKeys:     map[string]Address{},
		nodeIDs:     map[[32]byte]Address{},
	}
}

// addValidator stores v and its indexes; the caller has checked for
// duplicates.
func (s *State) addValidator(v *Validator) {
	s.validators[v.Operator] = v
	s.blsKeys[string(v.BLSKey)] = v.Operator
	s.nodeIDs[v.NodeID] = v.Operator
}

// setShares stores a delegation, dropping it when it reaches zero.
func (s *State) setShares(val, del Address, shares uint64) {
	m := s.delegations[val]
	if shares == 0 {
		delete(m, del)
		if len(m) == 0 {
			delete(s.delegations, val)
		}
		return
	}
	if m == nil {
		m = map[Address]uint64{}
		s.delegations[val] = m
	}
	m[del] = shares
}

// sortedAddrs returns the keys of m in ascending order.
func sortedAddrs[V any](m map[Address]V) []Address {
	out := make([]Address, 0, len(m))
	for a := range m {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Address) int { return bytes.Compare(a[:], b[:]) })
	return out
}

func (v *Validator) clone() Validator {
	c := *v
	c.BLSKey = clone(v.BLSKey)
	return c
}

func (v *Validator) member() Member {
	return Member{Operator: v.Operator, NodeID: v.NodeID, BLSKey: clone(v.BLSKey), Name: v.Name, NetAddr: v.NetAddr, Power: v.Tokens}
}

func cloneMembers(set []Member) []Member {
	out := make([]Member, len(set))
	for i, m := range set {
		out[i] = m
		out[i].BLSKey = clone(m.BLSKey)
	}
	return out
}

// tokensOf returns what shares of v are worth, rounded down.
func (v *Validator) tokensOf(shares uint64) uint64 {
	t, _ := mulDiv(shares, v.Tokens, v.Shares) // shares <= v.Shares, so no overflow
	return t
}
