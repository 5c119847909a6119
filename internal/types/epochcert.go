package types

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
)

// EpochChange names the validator set that rules from Epoch on, and where
// in the chain it took over: after block LastBlock at LastHeight, the last
// block of epoch Epoch-1. SetHash commits to the whole set (keys, node ids,
// powers), so a certificate over it hands a light client the next set.
type EpochChange struct {
	Epoch      uint64
	LastHeight uint64
	LastBlock  Hash
	SetHash    Hash
}

// EpochCert is the ending epoch's validators' certificate over the change:
// an aggregate signature of more than 2/3 of that epoch's stake. A chain
// of them from genesis lets anyone follow validator sets trusting no node.
type EpochCert struct {
	Change  EpochChange
	Signers Bitmap // indices into the ending epoch's set
	Sig     []byte
}

// SigningBytes is what each validator of the ending epoch signs. It is
// bound to the ending epoch, whose set must sign it.
func (c EpochChange) SigningBytes(chainID string) []byte {
	return SigningBytes(DomainEpoch, chainID, c.Epoch-1, func(w *codec.Writer) {
		w.U64(c.Epoch)
		w.U64(c.LastHeight)
		w.Fixed(c.LastBlock[:])
		w.Fixed(c.SetHash[:])
	})
}

// Verify checks the certificate against the ending epoch's set.
func (c *EpochCert) Verify(ending *ValidatorSet) error {
	if c.Change.Epoch == 0 || ending.Epoch != c.Change.Epoch-1 {
		return fmt.Errorf("change to epoch %d certified by the set of epoch %d: %w", c.Change.Epoch, ending.Epoch, ErrWrongEpoch)
	}
	if err := ending.VerifyAggregate(c.Signers, c.Change.SigningBytes(ending.ChainID), c.Sig); err != nil {
		return fmt.Errorf("epoch %d change: %w", c.Change.Epoch, err)
	}
	return nil
}

const epochCertVersion = 1

// EncodeEpochCert returns the canonical encoding.
func EncodeEpochCert(c *EpochCert) []byte {
	w := codec.NewWriter(160 + len(c.Signers) + len(c.Sig))
	w.U8(epochCertVersion)
	w.U64(c.Change.Epoch)
	w.U64(c.Change.LastHeight)
	w.Fixed(c.Change.LastBlock[:])
	w.Fixed(c.Change.SetHash[:])
	w.VarBytes(c.Signers)
	w.VarBytes(c.Sig)
	return w.Bytes()
}

// DecodeEpochCert parses an encoded certificate; it does not verify it.
func DecodeEpochCert(b []byte) (*EpochCert, error) {
	r := codec.NewReader(b)
	r.Version(epochCertVersion)
	c := &EpochCert{}
	c.Change.Epoch = r.U64()
	c.Change.LastHeight = r.U64()
	copy(c.Change.LastBlock[:], r.Fixed(32))
	copy(c.Change.SetHash[:], r.Fixed(32))
	c.Signers = Bitmap(r.VarBytes((MaxValidators + 7) / 8))
	c.Sig = r.VarBytes(MaxSignatureSize)
	if err := r.Finish(); err != nil {
		return nil, fmt.Errorf("decode epoch cert: %w", err)
	}
	return c, nil
}
