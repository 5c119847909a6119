package consensus

import (
	"github.com/lazchain/lazchain/internal/types"
)

// timeoutBook collects verified timeouts per round until they form a TC.
type timeoutBook struct {
	rounds map[uint64]*roundTimeouts
}

type roundTimeouts struct {
	sigs  map[uint32][]byte
	hqc   map[uint32]uint64
	stake uint64
	done  bool
}

func newTimeoutBook() *timeoutBook { return &timeoutBook{rounds: map[uint64]*roundTimeouts{}} }

func (tb *timeoutBook) prune(current uint64) {
	for r := range tb.rounds {
		if r < current {
			delete(tb.rounds, r)
		}
	}
}

// onTimeout checks a timeout, catches up on the certificates it carries,
// and adds it to its round's tally.
func (c *Core) onTimeout(from int, t *types.Timeout) {
	switch {
	case t.Epoch != c.set.Epoch:
		c.drop(DropWrongEpoch)
		return
	case int(t.Voter) >= c.set.Len() || (from >= 0 && from != int(t.Voter)):
		c.drop(DropUnknownSender)
		return
	case t.HighQC == nil || t.HighQC.Round >= t.Round:
		c.drop(DropInvalid)
		return
	}
	if c.resent(t) {
		c.drop(DropDuplicate) // re-sent timeouts are common; skip the pairings
		return
	}
	if !c.certsOK(from, t.HighQC, t.LastTC) {
		return
	}
	// Certificates are valid whatever the timeout's own fate: adopt them.
	c.processQC(t.HighQC)
	if t.LastTC != nil {
		c.processTC(t.LastTC)
	}
	if t.Round < c.round {
		c.drop(DropStaleRound)
		return
	}
	if t.Round > c.round+maxFutureRounds {
		c.drop(DropFutureRound)
		return
	}
	if rt := c.timeouts.rounds[t.Round]; rt != nil && rt.sigs[t.Voter] != nil {
		c.drop(DropDuplicate) // re-sent timeouts are common; skip the pairing
		return
	}
	// A bad timeout is never stored, so nothing above stops its next copy:
	// without a strike, one validator could send them without end, each a
	// pairing check on the driver.
	if c.struckOut(from) {
		return
	}
	msg := types.TimeoutSigningBytes(c.set.ChainID, t.Epoch, t.Round, t.HighQC.Round)
	if c.set.VerifySig(int(t.Voter), msg, t.Sig) != nil {
		c.drop(DropBadSignature)
		c.strike(from)
		return
	}
	c.addTimeout(int(t.Voter), t)
}

// resent reports whether t repeats a timeout already tallied and carries
// no certificate that could move this core: its checks would cost pairings
// and change nothing.
func (c *Core) resent(t *types.Timeout) bool {
	rt := c.timeouts.rounds[t.Round]
	return rt != nil && rt.sigs[t.Voter] != nil && t.HighQC.Round <= c.highQC.Round &&
		(t.LastTC == nil || t.LastTC.Round+1 <= c.round)
}

// addTimeout tallies a verified timeout. More than a third of stake timing
// out means at least one honest validator gave up, so this core joins in
// (Bracha-style amplification); a quorum forms a TC.
func (c *Core) addTimeout(idx int, t *types.Timeout) {
	rt := c.timeouts.rounds[t.Round]
	if rt == nil {
		rt = &roundTimeouts{sigs: map[uint32][]byte{}, hqc: map[uint32]uint64{}}
		c.timeouts.rounds[t.Round] = rt
	}
	voter := uint32(idx)
	if _, ok := rt.sigs[voter]; ok || rt.done {
		c.drop(DropDuplicate)
		return
	}
	rt.sigs[voter] = t.Sig
	rt.hqc[voter] = t.HighQC.Round
	rt.stake += c.set.StakeOf(idx)
	if t.Round == c.round && rt.stake > c.set.TotalStake()-c.set.QuorumStake() {
		if _, mine := rt.sigs[uint32(c.cfg.Self)]; !mine {
			c.localTimeout()
		}
	}
	if rt.done || rt.stake < c.set.QuorumStake() {
		return
	}
	if tc := c.formTC(t.Round, rt); tc != nil {
		rt.done = true
		c.stats.TCs++
		c.processTC(tc)
	}
}

// formTC aggregates verified timeout signatures into a certificate.
func (c *Core) formTC(round uint64, rt *roundTimeouts) *types.TC {
	signers := types.NewBitmap(c.set.Len())
	var sigs [][]byte
	var hqcs []uint64
	for i := 0; i < c.set.Len(); i++ {
		if s, ok := rt.sigs[uint32(i)]; ok {
			signers.Set(i)
			sigs = append(sigs, s)
			hqcs = append(hqcs, rt.hqc[uint32(i)])
		}
	}
	agg, err := c.set.Scheme.Aggregate(sigs)
	if err != nil {
		return nil
	}
	return &types.TC{Epoch: c.set.Epoch, Round: round, Signers: signers, HQCRounds: hqcs, Sig: agg}
}
