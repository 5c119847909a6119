package rpc

import (
	"encoding/hex"
	"fmt"

	"github.com/lazchain/lazchain/internal/light"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/types"
)

// Step turns a served epoch back into what the light client checks. It
// trusts nothing: a wrong field only makes the certificate fail.
func (v EpochView) Step() (light.Step, error) {
	e := &state.Epoch{Number: v.Epoch, LastHeight: v.LastHeight, EndHeight: v.EndHeight}
	if v.LastBlock != "" {
		h, err := parseHash(v.LastBlock)
		if err != nil {
			return light.Step{}, fmt.Errorf("epoch %d last block: %w", v.Epoch, err)
		}
		e.LastBlock = h
	}
	for i, x := range v.Validators {
		m := staking.Member{Name: x.Name, NetAddr: x.NetAddr, Power: x.Stake}
		op, err1 := hex.DecodeString(x.Operator)
		id, err2 := hex.DecodeString(x.NodeID)
		bk, err3 := hex.DecodeString(x.BLSKey)
		if err1 != nil || err2 != nil || err3 != nil || len(op) != 32 || len(id) != 32 {
			return light.Step{}, fmt.Errorf("epoch %d validator %d: malformed keys", v.Epoch, i)
		}
		copy(m.Operator[:], op)
		copy(m.NodeID[:], id)
		m.BLSKey = bk
		e.Set = append(e.Set, m)
	}
	s := light.Step{Epoch: e}
	if v.Cert != nil {
		raw, err := hex.DecodeString(v.Cert.Hex)
		if err != nil {
			return light.Step{}, fmt.Errorf("epoch %d certificate: %w", v.Epoch, err)
		}
		if s.Cert, err = types.DecodeEpochCert(raw); err != nil {
			return light.Step{}, err
		}
	}
	return s, nil
}
