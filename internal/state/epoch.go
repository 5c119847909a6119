package state

import (
	"encoding/binary"
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
)

// Epoch is what a node needs to run consensus in one epoch: who votes, and
// where the epoch starts and ends.
type Epoch struct {
	Number     uint64
	LastHeight uint64     // height of the block that ended the previous epoch; 0 for the first
	LastBlock  types.Hash // that block's id; zero for the first epoch
	EndHeight  uint64     // this epoch's last height
	Set        []staking.Member
}

// Root is the block the epoch's consensus starts from.
func (e *Epoch) Root(chainID string) *types.Block {
	if e.LastHeight == 0 && e.LastBlock.IsZero() {
		return types.GenesisBlock(chainID, e.Number)
	}
	return types.EpochRoot(chainID, e.Number, e.LastBlock, e.LastHeight)
}

// ValidatorSet builds the consensus view of the epoch's members.
func (e *Epoch) ValidatorSet(chainID string) (*types.ValidatorSet, error) {
	scheme := bls.Scheme{}
	vals := make([]types.Validator, len(e.Set))
	for i, m := range e.Set {
		pk, err := scheme.ParsePublicKey(m.BLSKey)
		if err != nil {
			return nil, fmt.Errorf("epoch %d member %d: %w", e.Number, i, err)
		}
		vals[i] = types.Validator{PubKey: pk, Stake: m.Power}
	}
	return types.NewValidatorSet(chainID, e.Number, scheme, vals)
}

func epochKey(n uint64) []byte { return binary.BigEndian.AppendUint64([]byte{pEpoch}, n) }

const epochVersion = 1

func encodeEpoch(e *Epoch) []byte {
	w := codec.NewWriter(128 + 200*len(e.Set))
	w.U8(epochVersion)
	w.U64(e.Number)
	w.U64(e.LastHeight)
	w.Fixed(e.LastBlock[:])
	w.U64(e.EndHeight)
	encodeMembers(w, e.Set)
	return w.Bytes()
}

func encodeMembers(w *codec.Writer, set []staking.Member) {
	w.U32(uint32(len(set)))
	for _, m := range set {
		w.Fixed(m.Operator[:])
		w.Fixed(m.NodeID[:])
		w.VarBytes(m.BLSKey)
		w.VarBytes([]byte(m.Name))
		w.VarBytes([]byte(m.NetAddr))
		w.U64(m.Power)
	}
}

// SetHash commits to the epoch's set: every member's keys, name, address
// and power, in index order.
func (e *Epoch) SetHash() types.Hash {
	w := codec.NewWriter(200 * len(e.Set))
	w.VarBytes([]byte("lazchain/validator-set/v1"))
	encodeMembers(w, e.Set)
	return types.HashOf(w.Bytes())
}

// Change is the statement the previous epoch's validators certify.
func (e *Epoch) Change() types.EpochChange {
	return types.EpochChange{Epoch: e.Number, LastHeight: e.LastHeight, LastBlock: e.LastBlock, SetHash: e.SetHash()}
}

func decodeEpoch(b []byte) (*Epoch, error) {
	r := codec.NewReader(b)
	r.Version(epochVersion)
	e := &Epoch{Number: r.U64(), LastHeight: r.U64()}
	copy(e.LastBlock[:], r.Fixed(32))
	e.EndHeight = r.U64()
	n := r.Count(types.MaxValidators, 32+32+4+8)
	for i := 0; i < n && r.Err() == nil; i++ {
		var m staking.Member
		copy(m.Operator[:], r.Fixed(32))
		copy(m.NodeID[:], r.Fixed(32))
		m.BLSKey = r.VarBytes(256)
		m.Name = string(r.VarBytes(256))
		m.NetAddr = string(r.VarBytes(256))
		m.Power = r.U64()
		e.Set = append(e.Set, m)
	}
	if err := r.Finish(); err != nil {
		return nil, fmt.Errorf("decode epoch record: %w", err)
	}
	return e, nil
}

// EpochAt returns a recorded epoch.
func (m *Machine) EpochAt(n uint64) (*Epoch, error) {
	m.mu.RLock()
	e, ok := m.epochs[n]
	m.mu.RUnlock()
	if ok {
		return e, nil
	}
	v, err := m.store.Get(epochKey(n))
	if err != nil {
		return nil, fmt.Errorf("epoch %d: %w", n, err)
	}
	return decodeEpoch(v)
}

// CurrentEpoch returns the epoch that committed state is in.
func (m *Machine) CurrentEpoch() *Epoch {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.current
}
