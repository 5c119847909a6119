package types

import (
	"crypto/ed25519"
	"crypto/sha256"

	"fmt"
	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"

	"github.com/lazchain/lazchain/internal/codec"
)

// Tx is a signed transaction of an ed25519 account. Its Kind and Body are
// interpreted by the state machine; consensus orders them as opaque values.
type Tx struct {
	ChainID string
	Sender  ed25519.PublicKey
	Nonce   uint64
	Kind    uint16
	Body    []byte
	Sig     []byte

	// hash caches the id once the encoding is final (after Sign or
	// decode); transactions are hashed on every hot path.
	hash   Hash
	hashed bool
}

// SigningBytes is what the sender signs: everything but the signature,
// bound to the chain id so a tx cannot be replayed on another chain.
func (tx *Tx) SigningBytes() []byte {
	// Checking a signature hashes these bytes, so they are built for every
	// check of every transaction: sized once, they are never regrown.
	size := len(tx.Sender) + 8 + 2 + 4 + len(tx.Body)
	return signingBytes(size, DomainTx, tx.ChainID, 0, func(w *codec.Writer) {
		w.Fixed(tx.Sender)
		w.U64(tx.Nonce)
		w.U16(tx.Kind)
		w.VarBytes(tx.Body)
	})
}

// Sign fills Sender and Sig from key.
func (tx *Tx) Sign(key ed25519.PrivateKey) {
	tx.Sender = key.Public().(ed25519.PublicKey)
	tx.Sig = ed25519.Sign(key, tx.SigningBytes())
	tx.hash, tx.hashed = HashOf(tx.Encode()), true
}

// VerifySig checks the sender's signature. It uses the same verification
// equation as VerifyTxs, so a transaction is valid or not whether it is
// checked alone or in a batch.
func (tx *Tx) VerifySig() error {
	if len(tx.Sender) != ed25519.PublicKeySize || !voi.VerifyWithOptions(voi.PublicKey(tx.Sender), tx.SigningBytes(), tx.Sig, verifyOpts) {
		return fmt.Errorf("tx from %x nonce %d: %w", []byte(tx.Sender), tx.Nonce, ErrBadSignature)
	}
	return nil
}

// Clone returns a copy of tx that shares no memory with it. A decoded
// transaction's fields point into the buffer it was decoded from (a
// request body, a gossip frame); one kept for long must not keep that
// buffer alive with it.
func (tx *Tx) Clone() *Tx {
	c := *tx
	buf := make([]byte, 0, len(tx.Sender)+len(tx.Body)+len(tx.Sig))
	buf = append(buf, tx.Sender...)
	buf = append(buf, tx.Body...)
	buf = append(buf, tx.Sig...)
	n, m := len(tx.Sender), len(tx.Sender)+len(tx.Body)
	c.Sender, c.Body, c.Sig = buf[:n:n], buf[n:m:m], buf[m:]
	if tx.Sender == nil {
		c.Sender = nil
	}
	if tx.Body == nil {
		c.Body = nil
	}
	if tx.Sig == nil {
		c.Sig = nil
	}
	return &c
}

// Seal caches the id of a transaction whose fields are final. Sign and the
// decoders seal; code that builds a Tx by hand may call it before sharing
// the value across goroutines.
func (tx *Tx) Seal() {
	if !tx.hashed {
		tx.hash, tx.hashed = HashOf(tx.Encode()), true
	}
}

// Hash is the transaction id: SHA-256 of its full encoding.
func (tx *Tx) Hash() Hash {
	if tx.hashed {
		return tx.hash
	}
	return HashOf(tx.Encode())
}

// EncodedSize is len(tx.Encode()), computed without encoding: admission
// checks it for every transaction.
func (tx *Tx) EncodedSize() int {
	return 1 + 4 + len(tx.ChainID) + len(tx.Sender) + 8 + 2 + 4 + len(tx.Body) + len(tx.Sig)
}

// Encode returns the canonical encoding.
func (tx *Tx) Encode() []byte {
	w := codec.NewWriter(len(tx.Body) + 160)
	w.U8(Version)
	tx.encode(w)
	return w.Bytes()
}

func (tx *Tx) encode(w *codec.Writer) {
	w.VarBytes([]byte(tx.ChainID))
	w.Fixed(tx.Sender)
	w.U64(tx.Nonce)
	w.U16(tx.Kind)
	w.VarBytes(tx.Body)
	w.Fixed(tx.Sig)
}

// DecodeTx parses one transaction, rejecting trailing bytes.
func DecodeTx(b []byte) (*Tx, error) {
	if len(b) > MaxTxBytes {
		return nil, fmt.Errorf("tx of %d bytes over limit %d: %w", len(b), MaxTxBytes, codec.ErrTooLong)
	}
	r := codec.NewReader(b)
	r.Version(Version)
	tx := decodeTxBody(r)
	if err := r.Finish(); err != nil {
		return nil, fmt.Errorf("decode tx: %w", err)
	}
	return tx, nil
}

func decodeTxBody(r *codec.Reader) *Tx {
	start, pos := r.Remaining(), r.Pos()
	tx := &Tx{ChainID: string(r.VarBytes(MaxChainIDLen))}
	tx.Sender = ed25519.PublicKey(r.Fixed(ed25519.PublicKeySize))
	tx.Nonce = r.U64()
	tx.Kind = r.U16()
	tx.Body = r.VarBytes(MaxTxBytes)
	tx.Sig = r.Fixed(ed25519.SignatureSize)
	// A tx inside a block obeys the same limit as one decoded alone (whose
	// encoding also has the version byte), so every tx in a block is valid
	// on its own.
	if n := 1 + start - r.Remaining(); r.Err() == nil && n > MaxTxBytes {
		r.Fail(fmt.Errorf("tx of %d bytes over limit %d: %w", n, MaxTxBytes, codec.ErrTooLong))
	}
	if r.Err() == nil {
		h := sha256.New()
		h.Write([]byte{Version})
		h.Write(r.Span(pos))
		h.Sum(tx.hash[:0])
		tx.hashed = true
	}
	return tx
}
