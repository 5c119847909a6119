package idao

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
)

// Params are the chain-wide iDAO settings of the genesis file.
type Params struct {
	RotationBlocks uint64 `json:"rotation_blocks"` // committees are redrawn after every RotationBlocks blocks
	VotingPeriod   uint64 `json:"voting_period"`   // blocks a proposal stays open
	RulingBlocks   uint64 `json:"ruling_blocks"`   // blocks a dispute waits for a ruling before it expires
	SlashBps       uint32 `json:"slash_bps"`       // share of stake a signer of an overturned certificate loses
}

// DefaultParams rotate every 100 blocks, give the validators 200 blocks
// to rule on a dispute and slash a wrong certificate's signers 10%.
func DefaultParams() Params {
	return Params{RotationBlocks: 100, VotingPeriod: 1000, RulingBlocks: 200, SlashBps: 1000}
}

// Validate reports what is wrong with p.
func (p Params) Validate() error {
	switch {
	case p.RotationBlocks == 0 || p.VotingPeriod == 0:
		return fmt.Errorf("idao params: rotation_blocks and voting_period must be positive")
	case p.RulingBlocks == 0:
		return fmt.Errorf("idao params: ruling_blocks must be positive (default %d)", DefaultParams().RulingBlocks)
	case p.SlashBps > staking.MaxBps:
		return fmt.Errorf("idao params: slash_bps is %d; basis points must be at most %d (100%%)", p.SlashBps, staking.MaxBps)
	}
	return nil
}

// CheckUnbonding refuses params under which a committee seat outlives
// the stake behind it. A seat's power is fixed at the draw and its
// committee may certify until the end of the next rotation; the dispute
// lock is taken only when the member signs. If two rotations reach past
// the unbonding period, a member could undelegate right after the draw,
// withdraw, and then sign a false verdict with its full seat power.
func (p Params) CheckUnbonding(unbondingBlocks uint64) error {
	if p.RotationBlocks > math.MaxUint64/2 || 2*p.RotationBlocks >= unbondingBlocks {
		return fmt.Errorf("idao params: rotation_blocks %d: two rotations must end before staking's unbonding_blocks (%d), or a seat outlives the stake behind it",
			p.RotationBlocks, unbondingBlocks)
	}
	return nil
}

// IDAO is one verification quorum.
type IDAO struct {
	Name         string
	Creator      staking.Address
	Created      uint64
	Policy       Policy
	Members      []staking.Address // sorted
	Dissolved    bool
	NextProposal uint64
	Proposals    []*Proposal // open ones, by id
}

// IsMember reports whether op is a member.
func (d *IDAO) IsMember(op staking.Address) bool {
	_, ok := slices.BinarySearchFunc(d.Members, op, cmpAddr)
	return ok
}

// Proposal is an open change to an iDAO.
type Proposal struct {
	ID       uint64
	Action   Action
	Member   staking.Address
	Policy   Policy
	Proposer staking.Address
	Expires  uint64 // last height at which votes count
	Yes, No  []staking.Address
}

// State is the whole iDAO state apart from artifact records, which live in
// Records (there can be millions; this stays small).
type State struct {
	chainID  string
	params   Params
	idaos    map[string]*IDAO
	rotation uint64
	seed     types.Hash              // of the current rotation
	acc      types.Hash              // the next rotation's seed, so far
	contrib  []staking.Address       // who has mixed into acc, sorted
	comms    map[string][]*Committee // current and previous rotation, per iDAO
	pending  map[types.Hash]string   // artifact id -> iDAO, until attested
	batches  map[BatchKey][]types.Hash
	// open indexes the open disputes by id with their deadlines, so
	// expiry never scans the records.
	open map[types.Hash]uint64
}

// New returns the genesis state.
func New(chainID string, p Params) (*State, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	s := empty(chainID)
	s.params = p
	s.seed = genesisSeed(chainID)
	s.acc = startAcc(s.seed, 1)
	return s, nil
}

func empty(chainID string) *State {
	return &State{chainID: chainID, idaos: map[string]*IDAO{}, comms: map[string][]*Committee{},
		pending: map[types.Hash]string{}, batches: map[BatchKey][]types.Hash{}, open: map[types.Hash]uint64{}}
}

func cmpAddr(a, b staking.Address) int { return bytes.Compare(a[:], b[:]) }

// Params returns the chain-wide settings.
func (s *State) Params() Params { return s.params }

// Rotation returns the current rotation and its seed.
func (s *State) Rotation() (uint64, types.Hash) { return s.rotation, s.seed }

// IDAO returns the named iDAO; callers must not modify it.
func (s *State) IDAO(name string) (*IDAO, bool) {
	d, ok := s.idaos[name]
	return d, ok
}

// IDAOs returns all iDAOs by name.
func (s *State) IDAOs() []*IDAO {
	out := make([]*IDAO, 0, len(s.idaos))
	for _, n := range s.names() {
		out = append(out, s.idaos[n])
	}
	return out
}

func (s *State) names() []string {
	names := make([]string, 0, len(s.idaos))
	for n := range s.idaos {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Committee returns name's committee for rotation r if it is still held
// (the current and the previous rotation).
func (s *State) Committee(name string, r uint64) (*Committee, bool) {
	for _, c := range s.comms[name] {
		if c.Rotation == r {
			return c, true
		}
	}
	return nil, false
}

// Pending returns the ids of artifacts awaiting a certificate, sorted.
func (s *State) Pending() []types.Hash {
	out := make([]types.Hash, 0, len(s.pending))
	for id := range s.pending {
		out = append(out, id)
	}
	slices.SortFunc(out, func(a, b types.Hash) int { return bytes.Compare(a[:], b[:]) })
	return out
}

// PendingIn returns the iDAO a pending artifact was submitted to.
func (s *State) PendingIn(id types.Hash) (string, bool) {
	n, ok := s.pending[id]
	return n, ok
}

// stateVersion is 2 since the state carries dispute params and the open
// disputes.
const stateVersion = 2

// Encode returns the canonical encoding of the state.
func (s *State) Encode() []byte {
	w := codec.NewWriter(1024 + 48*len(s.pending) + 40*len(s.open))
	w.U8(stateVersion)
	w.VarBytes([]byte(s.chainID))
	w.U64(s.params.RotationBlocks)
	w.U64(s.params.VotingPeriod)
	w.U64(s.params.RulingBlocks)
	w.U32(s.params.SlashBps)
	w.U64(s.rotation)
	w.Fixed(s.seed[:])
	w.Fixed(s.acc[:])
	writeAddrs(w, s.contrib)
	names := s.names()
	w.U32(uint32(len(names)))
	for _, n := range names {
		encodeIDAO(w, s.idaos[n])
		cs := s.comms[n]
		w.U32(uint32(len(cs)))
		for _, c := range cs {
			w.VarBytes(c.Encode())
		}
	}
	ids := s.Pending()
	w.U32(uint32(len(ids)))
	for _, id := range ids {
		w.Fixed(id[:])
		w.VarBytes([]byte(s.pending[id]))
	}
	keys := s.Batches()
	w.U32(uint32(len(keys)))
	for _, k := range keys {
		w.VarBytes([]byte(k.IDAO))
		w.U64(k.Height)
		w.U32(k.Part)
		w.U32(uint32(len(s.batches[k])))
		for _, id := range s.batches[k] {
			w.Fixed(id[:])
		}
	}
	open := s.OpenDisputes()
	w.U32(uint32(len(open)))
	for _, o := range open {
		w.Fixed(o.ID[:])
		w.U64(o.Deadline)
	}
	return w.Bytes()
}

// Decode parses what Encode wrote.
func Decode(b []byte) (*State, error) {
	r := codec.NewReader(b)
	r.Version(stateVersion)
	s := empty(string(r.VarBytes(types.MaxChainIDLen)))
	s.params = Params{RotationBlocks: r.U64(), VotingPeriod: r.U64(), RulingBlocks: r.U64(), SlashBps: r.U32()}
	s.rotation, s.seed, s.acc = r.U64(), hash(r), hash(r)
	s.contrib = readAddrs(r, types.MaxValidators)
	n := r.Count(1<<20, 8)
	for i := 0; i < n && r.Err() == nil; i++ {
		d := decodeIDAO(r)
		s.idaos[d.Name] = d
		k := r.Count(4, 8)
		for j := 0; j < k && r.Err() == nil; j++ {
			c, err := DecodeCommittee(r.VarBytes(1 << 20))
			if err != nil {
				return nil, fmt.Errorf("idao state: %w", err)
			}
			s.comms[d.Name] = append(s.comms[d.Name], c)
		}
	}
	n = r.Count(1<<26, 33)
	for i := 0; i < n && r.Err() == nil; i++ {
		id := hash(r)
		s.pending[id] = string(r.VarBytes(MaxNameLen))
	}
	n = r.Count(1<<24, 17)
	for i := 0; i < n && r.Err() == nil; i++ {
		k := BatchKey{IDAO: string(r.VarBytes(MaxNameLen)), Height: r.U64(), Part: r.U32()}
		m := r.Count(MaxBatch, 32)
		ids := make([]types.Hash, m)
		for j := range ids {
			ids[j] = hash(r)
		}
		s.batches[k] = ids
	}
	decodeOpen(r, s.open)
	if err := finish(r, "idao state"); err != nil {
		return nil, err
	}
	return s, nil
}

func writeAddrs(w *codec.Writer, as []staking.Address) {
	w.U32(uint32(len(as)))
	for _, a := range as {
		w.Fixed(a[:])
	}
}

func readAddrs(r *codec.Reader, max int) []staking.Address {
	n := r.Count(max, 32)
	var out []staking.Address
	for i := 0; i < n; i++ {
		out = append(out, addr(r))
	}
	return out
}

func encodeIDAO(w *codec.Writer, d *IDAO) {
	w.VarBytes([]byte(d.Name))
	w.Fixed(d.Creator[:])
	w.U64(d.Created)
	d.Policy.encode(w)
	writeAddrs(w, d.Members)
	w.Bool(d.Dissolved)
	w.U64(d.NextProposal)
	w.U32(uint32(len(d.Proposals)))
	for _, p := range d.Proposals {
		w.U64(p.ID)
		w.U8(uint8(p.Action))
		w.Fixed(p.Member[:])
		p.Policy.encode(w)
		w.Fixed(p.Proposer[:])
		w.U64(p.Expires)
		writeAddrs(w, p.Yes)
		writeAddrs(w, p.No)
	}
}

func decodeIDAO(r *codec.Reader) *IDAO {
	d := &IDAO{Name: string(r.VarBytes(MaxNameLen)), Creator: addr(r), Created: r.U64(), Policy: decodePolicy(r)}
	d.Members = readAddrs(r, MaxMembers)
	d.Dissolved, d.NextProposal = r.Bool(), r.U64()
	n := r.Count(1<<16, 64)
	for i := 0; i < n && r.Err() == nil; i++ {
		p := &Proposal{ID: r.U64(), Action: Action(r.U8()), Member: addr(r), Policy: decodePolicy(r), Proposer: addr(r), Expires: r.U64()}
		p.Yes, p.No = readAddrs(r, MaxMembers), readAddrs(r, MaxMembers)
		d.Proposals = append(d.Proposals, p)
	}
	return d
}
