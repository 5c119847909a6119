package state

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/smt"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

const (
	pRef         = 'r' // height -> the StateRef after executing it
	pEventsRoot  = 'e' // height -> the Merkle root of its events (in the state tree)
	keepVersions = 64  // state tree versions kept in memory for proofs
)

// treePrefixes are the key spaces the state tree commits to: everything
// the chain's rules read. Receipts, events (committed per height through
// their roots under pEventsRoot), secondary indexes and the partial epoch
// signatures (proven by their own certificates) stay out.
var treePrefixes = []byte{pAccount, pStaking, pEpoch, pIDAO, pArtifact, pCommittee, pDispute, pEventsRoot}

func inTree(k []byte) bool {
	if len(k) == 0 {
		return false
	}
	for _, p := range treePrefixes {
		if k[0] == p {
			return true
		}
	}
	return false
}

func refKey(h uint64) []byte        { return binary.BigEndian.AppendUint64([]byte{pRef}, h) }
func eventsRootKey(h uint64) []byte { return binary.BigEndian.AppendUint64([]byte{pEventsRoot}, h) }

// EventsRootKey is the state key whose value is height h's events root.
func EventsRootKey(h uint64) []byte { return eventsRootKey(h) }

// ArtifactKey, DisputeKey and CommitteeKey are the state keys of records,
// for proofs.
func ArtifactKey(id types.Hash) []byte            { return artifactKey(id) }
func DisputeKey(id types.Hash) []byte             { return disputeKey(id) }
func CommitteeKey(name string, rot uint64) []byte { return committeeKey(name, rot) }
func EventKeyPrefix(h uint64) []byte              { return binary.BigEndian.AppendUint64([]byte{pEvent}, h) }
func encodeRef(r types.StateRef) []byte           { return types.EncodeStateRef(r) }
func decodeRef(b []byte) (types.StateRef, error)  { return types.DecodeStateRef(b) }

// EventsRootValue is the state value of a height's events: their root and
// count, so a proof of one event cannot pass with a made-up tree size.
func EventsRootValue(root types.Hash, count int) []byte {
	return binary.BigEndian.AppendUint32(append([]byte(nil), root[:]...), uint32(count))
}

// EventsRoot is the RFC 6962 root over a block's encoded events, in order;
// zero for a block without events.
func EventsRoot(values [][]byte) types.Hash {
	if len(values) == 0 {
		return types.Hash{}
	}
	leaves := make([]merkle.Hash, len(values))
	for i, v := range values {
		leaves[i] = merkle.LeafHash(v)
	}
	return types.Hash(merkle.Root(leaves))
}

// commitment is the state tree and its recent versions. The driver
// updates it block by block; API readers take immutable versions.
type commitment struct {
	mu       sync.RWMutex
	tree     *smt.Tree
	versions map[uint64]*smt.Tree
	refs     []types.StateRef // recent, oldest first
}

// load rebuilds the tree from the store's committed state and checks it
// against the stored result of the last executed height: a mismatch means
// the store was corrupted or written by different rules.
func (c *commitment) load(st *store.Store) (types.StateRef, error) {
	var kvs []smt.KV
	for _, p := range treePrefixes {
		err := st.Scan([]byte{p}, nil, func(k, v []byte) bool {
			kvs = append(kvs, smt.KV{Key: append([]byte(nil), k...), Value: append([]byte(nil), v...)})
			return true
		})
		if err != nil {
			return types.StateRef{}, fmt.Errorf("scan state %q: %w", p, err)
		}
	}
	t, err := smt.New().Update(kvs)
	if err != nil {
		return types.StateRef{}, fmt.Errorf("rebuild state tree: %w", err)
	}
	var refs []types.StateRef
	err = st.ScanReverse([]byte{pRef}, func(_, v []byte) bool {
		r, derr := decodeRef(v)
		if derr != nil {
			err = derr
			return false
		}
		refs = append(refs, r)
		return len(refs) < 256
	})
	if err != nil {
		return types.StateRef{}, fmt.Errorf("load execution results: %w", err)
	}
	if len(refs) == 0 {
		return types.StateRef{}, fmt.Errorf("state has no execution result")
	}
	for i, j := 0, len(refs)-1; i < j; i, j = i+1, j-1 {
		refs[i], refs[j] = refs[j], refs[i]
	}
	last := refs[len(refs)-1]
	if t.Root() != last.Root {
		return types.StateRef{}, fmt.Errorf("state tree rebuilt from the store has root %s, but height %d executed to %s: the store is corrupt",
			t.Root().Short(), last.Height, last.Root.Short())
	}
	c.tree, c.refs = t, refs
	c.versions = map[uint64]*smt.Tree{last.Height: t}
	return last, nil
}

// apply commits one executed block's state writes and events and returns
// its result, plus the writes that record it.
func (c *commitment) apply(height uint64, writes []store.KV, events [][]byte) (types.StateRef, []store.KV, error) {
	er := EventsRoot(events)
	kvs := make([]smt.KV, 0, len(writes)+1)
	for _, w := range writes {
		if inTree(w.Key) {
			kvs = append(kvs, smt.KV{Key: w.Key, Value: w.Value})
		}
	}
	var extra []store.KV
	if !er.IsZero() {
		v := EventsRootValue(er, len(events))
		kvs = append(kvs, smt.KV{Key: eventsRootKey(height), Value: v})
		extra = append(extra, store.KV{Key: eventsRootKey(height), Value: v})
	}
	t, err := c.tree.Update(kvs)
	if err != nil {
		return types.StateRef{}, nil, fmt.Errorf("state tree at height %d: %w", height, err)
	}
	ref := types.StateRef{Height: height, Root: t.Root(), Events: er}
	extra = append(extra, store.KV{Key: refKey(height), Value: encodeRef(ref)})
	c.mu.Lock()
	c.tree = t
	c.versions[height] = t
	if height >= keepVersions {
		delete(c.versions, height-keepVersions)
	}
	c.refs = append(c.refs, ref)
	if len(c.refs) > 512 {
		c.refs = append(c.refs[:0], c.refs[len(c.refs)-256:]...)
	}
	c.mu.Unlock()
	return ref, extra, nil
}

// version returns the tree as of height, if still kept.
func (c *commitment) version(height uint64) (*smt.Tree, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	t, ok := c.versions[height]
	return t, ok
}

func (c *commitment) recent(n int) []types.StateRef {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([]types.StateRef(nil), c.refs[max(0, len(c.refs)-n):]...)
}

// AccountKey is an account's state key; EncodeAccount its value.
func AccountKey(a staking.Address) []byte { return accountKey(a) }

// EncodeAccount is the canonical encoding of an account in the state.
func EncodeAccount(a Account) []byte { return encodeAccount(a) }

// EncodeEpoch and DecodeEpoch are the canonical epoch record, as stored
// and as audit bundles carry it.
func EncodeEpoch(e *Epoch) []byte              { return encodeEpoch(e) }
func DecodeEpoch(b []byte) (*Epoch, error)     { return decodeEpoch(b) }
func DecodeEvent(b []byte) (idao.Event, error) { return decodeEvent(b) }
func EncodeEvent(e idao.Event) []byte          { return encodeEvent(e) }

// ParseEventsRootValue splits an events-root state value.
func ParseEventsRootValue(v []byte) (types.Hash, uint64, error) {
	if len(v) != 36 {
		return types.Hash{}, 0, fmt.Errorf("events root value of %d bytes, want 36", len(v))
	}
	return types.Hash(v[:32]), uint64(binary.BigEndian.Uint32(v[32:])), nil
}

// Raw reads a committed state value.
func (m *Machine) Raw(key []byte) ([]byte, error) { return m.store.Get(key) }

// RawEvents returns the encoded events of height h, in order.
func (m *Machine) RawEvents(h uint64) ([][]byte, error) {
	var out [][]byte
	err := m.store.Scan(EventKeyPrefix(h), nil, func(_, v []byte) bool {
		out = append(out, append([]byte(nil), v...))
		return true
	})
	return out, err
}
