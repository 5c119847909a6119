package state

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

// KindEpochSig carries one validator's signature over an epoch change.
// Validators of the ending epoch send theirs once the change commits; the
// state machine checks each against that epoch's set and, at more than
// 2/3 of its stake, aggregates them into the epoch's certificate. The
// certificate is thus itself committed, and an auditor can follow sets
// from genesis with nothing but certificates.
const KindEpochSig uint16 = 9

// EpochSig is the body of a KindEpochSig transaction.
type EpochSig struct {
	Epoch  uint64 // the epoch that starts
	Signer uint32 // index in the set of Epoch-1
	Sig    []byte
}

const epochSigVersion = 1

// Encode returns the canonical body.
func (s EpochSig) Encode() []byte {
	w := codec.NewWriter(16 + len(s.Sig))
	w.U8(epochSigVersion)
	w.U64(s.Epoch)
	w.U32(s.Signer)
	w.VarBytes(s.Sig)
	return w.Bytes()
}

// DecodeEpochSig parses a body.
func DecodeEpochSig(b []byte) (EpochSig, error) {
	r := codec.NewReader(b)
	r.Version(epochSigVersion)
	s := EpochSig{Epoch: r.U64(), Signer: r.U32(), Sig: r.VarBytes(types.MaxSignatureSize)}
	if err := r.Finish(); err != nil {
		return EpochSig{}, fmt.Errorf("epoch signature body: %w", err)
	}
	return s, nil
}

func certKey(n uint64) []byte    { return binary.BigEndian.AppendUint64([]byte{pCert}, n) }
func partialKey(n uint64) []byte { return binary.BigEndian.AppendUint64([]byte{pPartial}, n) }

// partial holds the signatures collected for one change so far.
type partial map[uint32][]byte

func encodePartial(p partial) []byte {
	idx := make([]int, 0, len(p))
	for i := range p {
		idx = append(idx, int(i))
	}
	sort.Ints(idx)
	w := codec.NewWriter(8 + 100*len(p))
	w.U32(uint32(len(idx)))
	for _, i := range idx {
		w.U32(uint32(i))
		w.VarBytes(p[uint32(i)])
	}
	return w.Bytes()
}

func decodePartial(b []byte) (partial, error) {
	r := codec.NewReader(b)
	n := r.Count(types.MaxValidators, 8)
	p := partial{}
	for i := 0; i < n && r.Err() == nil; i++ {
		k := r.U32()
		p[k] = r.VarBytes(types.MaxSignatureSize)
	}
	return p, r.Finish()
}

// EpochCert returns the committed certificate of the change to epoch n.
func (m *Machine) EpochCert(n uint64) (*types.EpochCert, error) {
	m.mu.RLock()
	c, ok := m.certs[n]
	m.mu.RUnlock()
	if ok {
		return c, nil
	}
	v, err := m.store.Get(certKey(n))
	if err != nil {
		return nil, fmt.Errorf("certificate of epoch %d: %w", n, err)
	}
	return types.DecodeEpochCert(v)
}

// EpochSigned reports whether validator signer of epoch n-1 already has its
// signature on the change to epoch n on-chain (or the certificate is done).
func (m *Machine) EpochSigned(n uint64, signer uint32) bool {
	if _, err := m.EpochCert(n); err == nil {
		return true
	}
	p, err := m.partial(n)
	return err == nil && p[signer] != nil
}

func (m *Machine) partial(n uint64) (partial, error) {
	m.mu.RLock()
	p, ok := m.partials[n]
	m.mu.RUnlock()
	if ok {
		return p, nil
	}
	v, err := m.store.Get(partialKey(n))
	if err == store.ErrNotFound {
		return partial{}, nil
	}
	if err != nil {
		return nil, err
	}
	return decodePartial(v)
}

// execEpochSig checks one signature and adds it; the write it needs goes
// to m.extra.
func (m *Machine) execEpochSig(body []byte) (Code, error) {
	s, err := DecodeEpochSig(body)
	if err != nil {
		return BadEpochSig, err
	}
	if _, err := m.EpochCert(s.Epoch); err == nil {
		return EpochCertDone, fmt.Errorf("epoch %d already has its certificate", s.Epoch)
	}
	if s.Epoch == 0 || s.Epoch > m.current.Number {
		return BadEpochSig, fmt.Errorf("epoch %d has not started (current %d)", s.Epoch, m.current.Number)
	}
	next, err := m.EpochAt(s.Epoch)
	if err != nil {
		return BadEpochSig, err
	}
	prev, err := m.EpochAt(s.Epoch - 1)
	if err != nil {
		return BadEpochSig, err
	}
	set, err := prev.ValidatorSet(m.chainID)
	if err != nil {
		return BadEpochSig, err
	}
	if int(s.Signer) >= set.Len() {
		return BadEpochSig, fmt.Errorf("signer %d outside the %d validators of epoch %d", s.Signer, set.Len(), prev.Number)
	}
	p, err := m.partial(s.Epoch)
	if err != nil {
		return BadEpochSig, err
	}
	if p[s.Signer] != nil {
		return EpochCertDone, fmt.Errorf("validator %d already signed the change to epoch %d", s.Signer, s.Epoch)
	}
	change := next.Change()
	if err := set.VerifySig(int(s.Signer), change.SigningBytes(m.chainID), s.Sig); err != nil {
		return BadEpochSig, fmt.Errorf("signature of validator %d: %w", s.Signer, err)
	}
	p = clonePartial(p)
	p[s.Signer] = s.Sig
	cert := aggregate(change, set, p)
	m.mu.Lock()
	defer m.mu.Unlock()
	if cert == nil {
		m.partials[s.Epoch] = p
		m.extra = append(m.extra, store.KV{Key: partialKey(s.Epoch), Value: encodePartial(p)})
		return OK, nil
	}
	m.certs[s.Epoch] = cert
	m.partials[s.Epoch] = p
	m.extra = append(m.extra, store.KV{Key: certKey(s.Epoch), Value: types.EncodeEpochCert(cert)},
		store.KV{Key: partialKey(s.Epoch), Value: encodePartial(p)})
	return OK, nil
}

func clonePartial(p partial) partial {
	c := make(partial, len(p)+1)
	for k, v := range p {
		c[k] = v
	}
	return c
}

// aggregate builds the certificate once the signatures (each already
// checked) carry a quorum of the set's stake, or returns nil.
func aggregate(change types.EpochChange, set *types.ValidatorSet, p partial) *types.EpochCert {
	signers := types.NewBitmap(set.Len())
	for i := range p {
		signers.Set(int(i))
	}
	if set.BitmapStake(signers) < set.QuorumStake() {
		return nil
	}
	sigs := make([][]byte, 0, len(p))
	for _, i := range signers.Indices() {
		sigs = append(sigs, p[uint32(i)])
	}
	agg, err := bls.Scheme{}.Aggregate(sigs)
	if err != nil {
		return nil // each was verified; this cannot happen with valid points
	}
	return &types.EpochCert{Change: change, Signers: signers, Sig: agg}
}
