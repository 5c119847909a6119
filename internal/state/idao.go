package state

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

const (
	pIDAO      = 'I' // the iDAO state (small: iDAOs, committees, pending ids)
	pArtifact  = 'X' // artifact id -> record
	pCommittee = 'K' // name, 0, rotation -> committee, kept for audits
	pEvent     = 'E' // height, index -> event
	pByIDAO    = 'x' // name, 0, artifact id -> nothing: the artifacts of an iDAO
	pDispute   = 'D' // dispute id -> record
)

func byIDAOPrefix(name string) []byte { return append(append([]byte{pByIDAO}, name...), 0) }

func artifactKey(id types.Hash) []byte { return append([]byte{pArtifact}, id[:]...) }

func disputeKey(id types.Hash) []byte { return append([]byte{pDispute}, id[:]...) }

// disputeCacheKey is where a dispute record waits in the machine's
// read-ahead record cache (the artifacts map, which Flushed clears with
// the other caches). It is a hash under its own domain, so it can never
// be an artifact's id nor shadow one.
func disputeCacheKey(id types.Hash) types.Hash {
	return sha256.Sum256(append([]byte("lazchain/state/dispute-cache\x00"), id[:]...))
}

func committeeKey(name string, r uint64) []byte {
	k := append([]byte{pCommittee}, name...)
	return binary.BigEndian.AppendUint64(append(k, 0), r)
}

func eventKey(h uint64, i uint32) []byte {
	k := binary.BigEndian.AppendUint64([]byte{pEvent}, h)
	return binary.BigEndian.AppendUint32(k, i)
}

// records implements idao.Records for one Apply: reads see the block's
// earlier writes through the machine's artifact cache.
type records struct {
	m      *Machine
	height uint64
	kvs    []store.KV
	events uint32
	comms  map[string]*idao.Committee // committees written in this Apply, by key
}

func (r *records) Artifact(id types.Hash) (*idao.Artifact, bool) {
	a, err := r.m.Artifact(id)
	return a, err == nil
}

func (r *records) PutArtifact(a *idao.Artifact) {
	enc := a.Encode()
	r.m.mu.Lock()
	r.m.artifacts[a.ID] = enc
	r.m.mu.Unlock()
	r.kvs = append(r.kvs, store.KV{Key: artifactKey(a.ID), Value: enc})
	if a.Status == idao.Pending {
		r.kvs = append(r.kvs, store.KV{Key: append(byIDAOPrefix(a.Submit.IDAO), a.ID[:]...), Value: []byte{}})
	}
}

func (r *records) PutCommittee(c *idao.Committee) {
	k := committeeKey(c.IDAO, c.Rotation)
	if r.comms == nil {
		r.comms = map[string]*idao.Committee{}
	}
	r.comms[string(k)] = c
	r.kvs = append(r.kvs, store.KV{Key: k, Value: c.Encode()})
}

// Committee reads the committee history, this Apply's writes first: they
// reach the store only with the commit.
func (r *records) Committee(name string, rot uint64) (*idao.Committee, bool) {
	if c, ok := r.comms[string(committeeKey(name, rot))]; ok {
		return c, true
	}
	c, err := r.m.CommitteeAt(name, rot)
	return c, err == nil
}

func (r *records) Dispute(id types.Hash) (*idao.Dispute, bool) {
	d, err := r.m.Dispute(id)
	return d, err == nil
}

func (r *records) PutDispute(d *idao.Dispute) {
	enc := d.Encode()
	r.m.mu.Lock()
	r.m.artifacts[disputeCacheKey(d.ID)] = enc
	r.m.mu.Unlock()
	r.kvs = append(r.kvs, store.KV{Key: disputeKey(d.ID), Value: enc})
}

func (r *records) Emit(e idao.Event) {
	r.kvs = append(r.kvs, store.KV{Key: eventKey(r.height, r.events), Value: encodeEvent(e)})
	r.events++
}

func encodeEvent(e idao.Event) []byte {
	w := codec.NewWriter(96 + len(e.Detail))
	w.VarBytes([]byte(e.Type))
	w.VarBytes([]byte(e.IDAO))
	w.Fixed(e.Artifact[:])
	w.VarBytes([]byte(e.Detail))
	return w.Bytes()
}

func decodeEvent(b []byte) (idao.Event, error) {
	r := codec.NewReader(b)
	e := idao.Event{Type: string(r.VarBytes(64)), IDAO: string(r.VarBytes(idao.MaxNameLen))}
	copy(e.Artifact[:], r.Fixed(32))
	e.Detail = string(r.VarBytes(4096))
	if err := r.Finish(); err != nil {
		return idao.Event{}, fmt.Errorf("event: %w", err)
	}
	return e, nil
}

// Artifact returns an artifact's record.
func (m *Machine) Artifact(id types.Hash) (*idao.Artifact, error) {
	m.mu.RLock()
	enc, ok := m.artifacts[id]
	m.mu.RUnlock()
	if !ok {
		v, err := m.store.Get(artifactKey(id))
		if err != nil {
			return nil, err
		}
		enc = v
	}
	a, err := idao.DecodeArtifact(enc)
	if err != nil {
		return nil, fmt.Errorf("artifact %x: %w", id[:8], err)
	}
	return a, nil
}

// Dispute returns a dispute's record.
func (m *Machine) Dispute(id types.Hash) (*idao.Dispute, error) {
	m.mu.RLock()
	enc, ok := m.artifacts[disputeCacheKey(id)]
	m.mu.RUnlock()
	if !ok {
		v, err := m.store.Get(disputeKey(id))
		if err != nil {
			return nil, err
		}
		enc = v
	}
	d, err := idao.DecodeDispute(enc)
	if err != nil {
		return nil, fmt.Errorf("dispute %x: %w", id[:8], err)
	}
	return d, nil
}

// Artifacts lists committed artifacts, of one iDAO when name is set, in id
// order from after (exclusive; zero for the start), at most limit of them
// that pass keep.
func (m *Machine) Artifacts(name string, after types.Hash, limit int, keep func(*idao.Artifact) bool) ([]*idao.Artifact, error) {
	var out []*idao.Artifact
	var ferr error
	prefix := []byte{pArtifact}
	if name != "" {
		prefix = byIDAOPrefix(name)
	}
	var start []byte
	if after != (types.Hash{}) {
		start = append(append([]byte(nil), prefix...), after[:]...)
		start = append(start, 0) // just past after
	}
	err := m.store.Scan(prefix, start, func(k, v []byte) bool {
		var id types.Hash
		copy(id[:], k[len(prefix):])
		a, err := m.Artifact(id)
		if err != nil {
			ferr = err
			return false
		}
		if keep == nil || keep(a) {
			out = append(out, a)
		}
		return len(out) < limit
	})
	if err == nil {
		err = ferr
	}
	return out, err
}

// Disputes lists committed dispute records in id order from after
// (exclusive; zero for the start), at most limit of them that pass keep.
// Disputes are few (at most one per artifact and claim, ever), so a scan
// of their records serves as the index.
func (m *Machine) Disputes(after types.Hash, limit int, keep func(*idao.Dispute) bool) ([]*idao.Dispute, error) {
	var out []*idao.Dispute
	var ferr error
	prefix := []byte{pDispute}
	var start []byte
	if after != (types.Hash{}) {
		start = append(disputeKey(after), 0) // just past after
	}
	err := m.store.Scan(prefix, start, func(k, _ []byte) bool {
		var id types.Hash
		copy(id[:], k[len(prefix):])
		d, err := m.Dispute(id) // through the cache, as Artifacts reads
		if err != nil {
			ferr = err
			return false
		}
		if keep == nil || keep(d) {
			out = append(out, d)
		}
		return len(out) < limit
	})
	if err == nil {
		err = ferr
	}
	return out, err
}

// ScanEvents calls fn with each stored event from height h, index i on,
// in order, until fn returns false. Heights without events cost nothing.
func (m *Machine) ScanEvents(h uint64, i uint32, fn func(h uint64, i uint32, e idao.Event) bool) error {
	var ferr error
	err := m.store.Scan([]byte{pEvent}, eventKey(h, i), func(k, v []byte) bool {
		if len(k) != 1+8+4 {
			ferr = fmt.Errorf("event key %x: want 13 bytes", k)
			return false
		}
		e, err := decodeEvent(v)
		if err != nil {
			ferr = fmt.Errorf("event %x: %w", k[1:], err)
			return false
		}
		return fn(binary.BigEndian.Uint64(k[1:9]), binary.BigEndian.Uint32(k[9:]), e)
	})
	if err == nil {
		err = ferr
	}
	return err
}

// CommitteeAt returns an iDAO's committee of rotation r from the history.
func (m *Machine) CommitteeAt(name string, r uint64) (*idao.Committee, error) {
	v, err := m.store.Get(committeeKey(name, r))
	if err != nil {
		return nil, err
	}
	return idao.DecodeCommittee(v)
}

// IDAOs returns a read-only view of the iDAO state as of the last applied
// block. Callers must not modify it.
func (m *Machine) IDAOs() *idao.State {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.daoView
}

// Events returns the events of block h, in order.
func (m *Machine) Events(h uint64) ([]idao.Event, error) {
	var out []idao.Event
	for i := uint32(0); ; i++ {
		v, err := m.store.Get(eventKey(h, i))
		if err == store.ErrNotFound {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		e, err := decodeEvent(v)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
}

func cloneDAO(s *idao.State) *idao.State {
	c, err := idao.Decode(s.Encode())
	if err != nil {
		panic(fmt.Sprintf("idao state does not survive its own encoding: %v", err)) // a bug, not bad input
	}
	return c
}

func (m *Machine) loadDAO(p idao.Params) error {
	v, err := m.store.Get([]byte{pIDAO})
	switch {
	case err == nil:
		m.dao, err = idao.Decode(v)
	case err == store.ErrNotFound:
		m.dao, err = idao.New(m.chainID, p)
	}
	if err != nil {
		return fmt.Errorf("load idao state: %w", err)
	}
	m.daoView = cloneDAO(m.dao)
	return nil
}
