package simsig

import (
	"crypto/hmac"
	"errors"
	"fmt"
	"math"

	"github.com/lazchain/lazchain/internal/crypto"
)

// Scheme verifies against one Registry. It is a small value, safe for
// concurrent use; the zero value has no registry and rejects everything.
type Scheme struct {
	reg *Registry
}

var _ crypto.Scheme = Scheme{}

// Name identifies the scheme; it differs from production on purpose so that
// logs and configs never confuse the two.
func (Scheme) Name() string { return "simsig" }

// SignatureSize is the size of single and aggregate signatures alike.
func (Scheme) SignatureSize() int { return SignatureSize }

// ParsePublicKey accepts any 32 bytes, as BLS accepts any valid point: whether
// the key is registered is decided at verification, like whether a BLS key's
// owner signed.
func (Scheme) ParsePublicKey(b []byte) (crypto.PublicKey, error) {
	if len(b) != PublicKeySize {
		return nil, fmt.Errorf("%w: simsig: got %d bytes, want %d", crypto.ErrBadKey, len(b), PublicKeySize)
	}
	pk := &PublicKey{}
	copy(pk.b[:], b)
	return pk, nil
}

// Verify recomputes the signer's MAC; unknown keys and foreign key types fail.
func (s Scheme) Verify(pk crypto.PublicKey, msg, sig []byte) bool {
	return s.VerifyAggregate([]crypto.PublicKey{pk}, msg, sig)
}

// VerifyAggregate recomputes every signer's MAC over msg and compares the sum.
// Each entry counts as a signer, duplicates included.
func (s Scheme) VerifyAggregate(pks []crypto.PublicKey, msg, sig []byte) bool {
	return s.VerifyAggregateMulti([][]crypto.PublicKey{pks}, [][]byte{msg}, sig)
}

// VerifyAggregateMulti checks sig where the keys in pks[i] signed msgs[i].
// Repeated messages need no special care: every signer's MAC is summed.
func (s Scheme) VerifyAggregateMulti(pks [][]crypto.PublicKey, msgs [][]byte, sig []byte) bool {
	want, count, ok := decode(sig)
	if !ok || s.reg == nil || len(pks) == 0 || len(pks) != len(msgs) {
		return false
	}
	var got [macSize]byte
	var n uint64
	for i, group := range pks {
		if len(group) == 0 { // a message signed by nobody is not signed
			return false
		}
		for _, pk := range group {
			sec, ok := s.secretOf(pk)
			if !ok {
				return false
			}
			add(&got, mac(sec, tagSig, msgs[i]))
		}
		n += uint64(len(group))
	}
	return n == uint64(count) && hmac.Equal(got[:], want[:])
}

// Aggregate sums the MACs and the counts. Aggregates may themselves be
// aggregated, as with BLS.
func (Scheme) Aggregate(sigs [][]byte) ([]byte, error) {
	if len(sigs) == 0 {
		return nil, errors.New("simsig: aggregate: no signatures")
	}
	var sum [macSize]byte
	var total uint64
	for i, sig := range sigs {
		m, count, ok := decode(sig)
		if !ok {
			return nil, fmt.Errorf("simsig: aggregate: signature %d of %d is malformed", i, len(sigs))
		}
		add(&sum, m)
		total += uint64(count)
	}
	if total > math.MaxUint32 {
		return nil, fmt.Errorf("simsig: aggregate: %d signers overflow the count", total)
	}
	return encode(sum, uint32(total)), nil
}

// VerifyPossession recomputes the proof; its domain tag differs from
// signatures, so no signature verifies as a proof.
func (s Scheme) VerifyPossession(pk crypto.PublicKey, proof []byte) bool {
	want, count, ok := decode(proof)
	if !ok || count != 1 {
		return false
	}
	sec, ok := s.secretOf(pk)
	if !ok {
		return false
	}
	got := popMAC(sec, pk.(*PublicKey))
	return hmac.Equal(got[:], want[:])
}

// secretOf accepts only this package's keys and only registered ones.
func (s Scheme) secretOf(pk crypto.PublicKey) (secret, bool) {
	key, ok := pk.(*PublicKey)
	if !ok || key == nil || s.reg == nil {
		return secret{}, false
	}
	return s.reg.lookup(key.b)
}
