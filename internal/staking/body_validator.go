package staking

import (
	"crypto/ed25519"
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/crypto/bls"
)

// KeepCommission in EditValidator.CommissionBps leaves the commission as is.
const KeepCommission uint32 = 0xFFFFFFFF

// CreateValidator registers the sender as a validator operator and bonds
// SelfBond of its balance as the first delegation.
type CreateValidator struct {
	BLSKey        []byte // 96-byte compressed BLS12-381 G2 key (min-sig)
	PoP           []byte // 48-byte proof of possession of BLSKey
	NodeID        [32]byte
	Name          string
	NetAddr       string
	CommissionBps uint32
	SelfBond      uint64
	// Binding and NodeSig are signatures of RegistrationBytes by the BLS
	// key and the node key. The proof of possession alone names no
	// operator: copied from a pending or failed registration, it let
	// anyone register another's BLS key (or node id) as theirs.
	Binding []byte
	NodeSig []byte
}

// RegistrationBytes is what the BLS key and the node key of a new
// validator sign: they belong to this operator on this chain.
func RegistrationBytes(chainID string, operator Address, nodeID [32]byte, blsKey []byte) []byte {
	b := make([]byte, 0, 32+len(chainID)+32+32+len(blsKey))
	b = append(b, "lazchain/register/v1\x00"...)
	b = append(b, chainID...)
	b = append(b, 0)
	b = append(b, operator[:]...)
	b = append(b, nodeID[:]...)
	return append(b, blsKey...)
}

// SignRegistration fills in Binding and NodeSig for operator on chainID.
func (c *CreateValidator) SignRegistration(chainID string, operator Address, blsKey *bls.SecretKey, nodeKey ed25519.PrivateKey) {
	msg := RegistrationBytes(chainID, operator, c.NodeID, c.BLSKey)
	c.Binding = blsKey.Sign(msg)
	c.NodeSig = ed25519.Sign(nodeKey, msg)
}

// EditValidator changes the sender's validator. Empty strings and
// KeepCommission leave a field unchanged.
type EditValidator struct {
	Name          string
	NetAddr       string
	CommissionBps uint32
}

func (c CreateValidator) Encode() []byte {
	w := codec.NewWriter(1 + 4 + len(c.BLSKey) + 4 + len(c.PoP) + 32 + 4 + len(c.Name) + 4 + len(c.NetAddr) + 4 + 8 + 4 + len(c.Binding) + 4 + len(c.NodeSig))
	w.U8(BodyVersion)
	w.VarBytes(c.BLSKey)
	w.VarBytes(c.PoP)
	w.Fixed(c.NodeID[:])
	w.VarBytes([]byte(c.Name))
	w.VarBytes([]byte(c.NetAddr))
	w.U32(c.CommissionBps)
	w.U64(c.SelfBond)
	w.VarBytes(c.Binding)
	w.VarBytes(c.NodeSig)
	return w.Bytes()
}

// DecodeCreateValidator parses what CreateValidator.Encode wrote. It checks
// sizes only; the key, proof and commission are Exec's to judge.
func DecodeCreateValidator(b []byte) (CreateValidator, error) {
	r := codec.NewReader(b)
	r.Version(BodyVersion)
	var c CreateValidator
	c.BLSKey = clone(readExact(r, BLSKeySize, "bls key"))
	c.PoP = clone(readExact(r, PoPSize, "proof of possession"))
	copy(c.NodeID[:], r.Fixed(32))
	c.Name = string(r.VarBytes(MaxNameLen))
	c.NetAddr = string(r.VarBytes(MaxNetAddrLen))
	c.CommissionBps = r.U32()
	c.SelfBond = r.U64()
	c.Binding = clone(readExact(r, PoPSize, "registration binding"))
	c.NodeSig = clone(readExact(r, ed25519.SignatureSize, "node key signature"))
	if err := r.Finish(); err != nil {
		return CreateValidator{}, fmt.Errorf("decode create-validator: %w", err)
	}
	return c, nil
}

func (e EditValidator) Encode() []byte {
	w := codec.NewWriter(1 + 4 + len(e.Name) + 4 + len(e.NetAddr) + 4)
	w.U8(BodyVersion)
	w.VarBytes([]byte(e.Name))
	w.VarBytes([]byte(e.NetAddr))
	w.U32(e.CommissionBps)
	return w.Bytes()
}

// DecodeEditValidator parses what EditValidator.Encode wrote.
func DecodeEditValidator(b []byte) (EditValidator, error) {
	r := codec.NewReader(b)
	r.Version(BodyVersion)
	var e EditValidator
	e.Name = string(r.VarBytes(MaxNameLen))
	e.NetAddr = string(r.VarBytes(MaxNetAddrLen))
	e.CommissionBps = r.U32()
	if err := r.Finish(); err != nil {
		return EditValidator{}, fmt.Errorf("decode edit-validator: %w", err)
	}
	return e, nil
}
