package attestor

import (
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/staking"
)

// contribute sends this validator's beacon signature for the next
// rotation, once per rotation. Withholding it is the only influence a
// validator has on the seed, so an honest one always sends it.
func (a *Attestor) contribute(st *idao.State, me staking.Address) {
	rot, _ := st.Rotation()
	a.mu.Lock()
	done := a.beaconFor > rot
	a.mu.Unlock()
	if done || !inActive(a.cfg.Chain.Staking(), me) {
		return
	}
	b := idao.Beacon{Rotation: rot + 1, Validator: me, Sig: a.cfg.Key.Sign(idao.BeaconBytes(a.cfg.ChainID, rot+1))}
	if err := a.cfg.Submit(idao.KindBeacon, b.Encode()); err != nil {
		return // tried again at the next dispatch
	}
	a.mu.Lock()
	a.beaconFor = rot + 1
	a.mu.Unlock()
}

func inActive(st *staking.State, op staking.Address) bool {
	for _, m := range st.Active() {
		if m.Operator == op {
			return true
		}
	}
	return false
}
