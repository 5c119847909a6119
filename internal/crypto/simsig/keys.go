package simsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"sync"

	"github.com/lazchain/lazchain/internal/crypto"
)

// Sizes, in bytes.
const (
	PublicKeySize = sha256.Size
	macSize       = sha256.Size
	// SignatureSize covers both single and aggregate signatures: MAC sum plus
	// a uint32 signer count.
	SignatureSize = macSize + 4
)

// Domain tags prefixed to every MAC input so that no message can make a
// signature equal a proof of possession.
const (
	tagSig = 0x00
	tagPoP = 0x01
)

var (
	_ crypto.Signer    = (*Key)(nil)
	_ crypto.PublicKey = (*PublicKey)(nil)
)

type secret [32]byte

// Registry maps public keys to secrets for one simulation. It stands in for
// the hardness of forgery: verification consults it, and nobody but the
// simulator harness should hold it. Safe for concurrent use.
type Registry struct {
	mu      sync.RWMutex
	secrets map[[PublicKeySize]byte]secret
}

// NewRegistry returns an empty registry; create one per simulation so keys
// from one run never verify in another.
func NewRegistry() *Registry {
	return &Registry{secrets: make(map[[PublicKeySize]byte]secret)}
}

// Scheme returns the verifier bound to this registry.
func (r *Registry) Scheme() Scheme {
	return Scheme{reg: r}
}

func (r *Registry) register(pk [PublicKeySize]byte, s secret) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets[pk] = s
}

func (r *Registry) lookup(pk [PublicKeySize]byte) (secret, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.secrets[pk]
	return s, ok
}

// PublicKey is a 32-byte key identifier: SHA-256("simsig-pk" || secret).
type PublicKey struct {
	b [PublicKeySize]byte
}

// Bytes returns a copy of the key bytes.
func (pk *PublicKey) Bytes() []byte {
	return append([]byte(nil), pk.b[:]...)
}

// Key is one simulated node's signing key.
type Key struct {
	sec secret
	pk  *PublicKey
}

// NewKey derives a key from seed (secret = SHA-256(seed)) and registers it in
// reg. The same seed yields the same key, which keeps simulations replayable.
func NewKey(reg *Registry, seed []byte) *Key {
	sec := secret(sha256.Sum256(seed))
	h := sha256.New()
	h.Write([]byte("simsig-pk"))
	h.Write(sec[:])
	pk := &PublicKey{}
	h.Sum(pk.b[:0])
	reg.register(pk.b, sec)
	return &Key{sec: sec, pk: pk}
}

// PublicKey returns the key's *PublicKey.
func (k *Key) PublicKey() crypto.PublicKey { return k.pk }

// Sign returns HMAC-SHA256(secret, tagSig || msg) with a signer count of 1.
func (k *Key) Sign(msg []byte) []byte {
	m := mac(k.sec, tagSig, msg)
	return encode(m, 1)
}

// ProvePossession returns HMAC-SHA256(secret, tagPoP || "simsig-pop" || pk)
// with a count of 1.
func (k *Key) ProvePossession() []byte {
	return encode(popMAC(k.sec, k.pk), 1)
}

func mac(s secret, tag byte, parts ...[]byte) [macSize]byte {
	h := hmac.New(sha256.New, s[:])
	h.Write([]byte{tag})
	for _, p := range parts {
		h.Write(p)
	}
	var out [macSize]byte
	h.Sum(out[:0])
	return out
}

func popMAC(s secret, pk *PublicKey) [macSize]byte {
	return mac(s, tagPoP, []byte("simsig-pop"), pk.b[:])
}

func encode(sum [macSize]byte, count uint32) []byte {
	out := make([]byte, 0, SignatureSize)
	out = append(out, sum[:]...)
	return binary.BigEndian.AppendUint32(out, count)
}

// decode splits a signature; count 0 is malformed because no signer means
// nothing was signed.
func decode(sig []byte) (sum [macSize]byte, count uint32, ok bool) {
	if len(sig) != SignatureSize {
		return sum, 0, false
	}
	copy(sum[:], sig)
	count = binary.BigEndian.Uint32(sig[macSize:])
	return sum, count, count > 0
}

// add sets acc = acc + x mod 2^256, both read as big-endian integers.
func add(acc *[macSize]byte, x [macSize]byte) {
	var carry uint64
	for i := macSize - 8; i >= 0; i -= 8 {
		a := binary.BigEndian.Uint64(acc[i:])
		b := binary.BigEndian.Uint64(x[i:])
		s, c := bits.Add64(a, b, carry)
		binary.BigEndian.PutUint64(acc[i:], s)
		carry = c
	}
}
