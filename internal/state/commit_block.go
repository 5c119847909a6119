package state

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/smt"
	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

// endBlockDAO runs the iDAO rules that fire at a block's end: dispute
// expiry every block, committee rotation and proposal expiry at rotation
// boundaries. It reports whether the iDAO state changed.
func (m *Machine) endBlockDAO(bk *bank, rec *records, height uint64) bool {
	ctx := idao.Ctx{Bank: bk, Staking: m.stake, Records: rec, Height: height}
	changed := m.dao.EndBlockDisputes(ctx)
	if height%m.dao.Params().RotationBlocks == 0 {
		m.dao.EndBlock(ctx)
		m.dao.ExpireProposals(height)
		changed = true
	}
	return changed
}

// commitBlock folds one block's state writes into the state tree and
// returns the writes that record its result. records are the block's
// record and event writes; other are writes outside bank and records.
func (m *Machine) commitBlock(height uint64, bk *bank, records, other []store.KV, daoChanged bool) []store.KV {
	w := bk.blockWrites()
	w = append(w, other...)
	var events [][]byte
	for _, kv := range records {
		if len(kv.Key) > 0 && kv.Key[0] == pEvent {
			events = append(events, kv.Value)
		} else {
			w = append(w, kv)
		}
	}
	// Liveness counters change with every block, so the staking record
	// changes with every block too.
	w = append(w, store.KV{Key: []byte{pStaking}, Value: m.stake.Encode()})
	if daoChanged {
		w = append(w, store.KV{Key: []byte{pIDAO}, Value: m.dao.Encode()})
	}
	ref, extra, err := m.commit.apply(height, w, events)
	if err != nil {
		panic(fmt.Sprintf("state tree: %v", err)) // keys and values come from this package: a bug
	}
	m.executed = append(m.executed, ref)
	return extra
}

// genesisWrites are the state writes of a fresh chain beyond its accounts
// (which the bank writes): they are what the height-0 root commits to.
func (m *Machine) genesisWrites() []store.KV {
	ref := m.commit.recent(1)[0]
	return []store.KV{
		{Key: epochKey(m.current.Number), Value: encodeEpoch(m.current)},
		{Key: []byte{pIDAO}, Value: m.dao.Encode()},
		{Key: refKey(0), Value: encodeRef(ref)},
	}
}

// loadCommitment builds the state tree: from the genesis state on a fresh
// store, from the store's state otherwise.
func (m *Machine) loadCommitment() error {
	if !m.fresh {
		_, err := m.commit.load(m.store)
		return err
	}
	var kvs []smt.KV
	for _, a := range m.genesisW {
		kvs = append(kvs, smt.KV{Key: accountKey(a.Address), Value: encodeAccount(Account{Balance: a.Balance})})
	}
	kvs = append(kvs,
		smt.KV{Key: epochKey(m.current.Number), Value: encodeEpoch(m.current)},
		smt.KV{Key: []byte{pStaking}, Value: m.stake.Encode()},
		smt.KV{Key: []byte{pIDAO}, Value: m.dao.Encode()})
	t, err := smt.New().Update(kvs)
	if err != nil {
		return fmt.Errorf("genesis state tree: %w", err)
	}
	ref := types.StateRef{Root: t.Root()}
	m.commit.tree, m.commit.refs = t, []types.StateRef{ref}
	m.commit.versions = map[uint64]*smt.Tree{0: t}
	return nil
}

// Executed returns the results of the blocks the last Apply executed, in
// order; the driver hands them to consensus.
func (m *Machine) Executed() []types.StateRef { return m.executed }

// Height is the last height executed into the state; 0 is genesis.
func (m *Machine) Height() uint64 {
	if r := m.commit.recent(1); len(r) > 0 {
		return r[0].Height
	}
	return 0
}

// RecentResults returns up to n of the latest execution results, oldest
// first (height 0 is the genesis state).
func (m *Machine) RecentResults(n int) []types.StateRef { return m.commit.recent(n) }

// StateTree returns the state tree as of height, while it is kept in
// memory (the last keepVersions heights).
func (m *Machine) StateTree(height uint64) (*smt.Tree, bool) { return m.commit.version(height) }
