package consensus

import "github.com/lazchain/lazchain/internal/types"

// maxStrikes is how many forged certificates one validator may send this
// core in a round before the rest of its certificates in that round go
// unchecked. A certificate costs a pairing check, about a millisecond on
// the driver, and a timeout, a proposal that is not its round's, or a
// leader's proposals past the first each carry one: unbounded, one
// faulty validator could keep every honest driver busy checking. Honest
// validators never send a forged one (what they send they checked), so
// they never strike out.
const maxStrikes = 2

type strike struct {
	round uint64
	n     int
}

// certsOK checks a message's certificates for sender from (a validator's
// index, or negative when no validator sent it directly, which is never
// charged). It reports false for a wrong or forged certificate, and
// without a check for a sender struck out in this round.
func (c *Core) certsOK(from int, qc *types.QC, tc *types.TC) bool {
	if c.struckOut(from) {
		return false
	}
	ok, forged := c.checkQC(qc)
	if ok && tc != nil {
		ok, forged = c.checkTC(tc)
	}
	if forged {
		c.strike(from)
	}
	return ok
}

// struckOut reports, and counts as a drop, that sender from has used up
// its strikes in this round; a negative from never strikes out.
func (c *Core) struckOut(from int) bool {
	if from < 0 {
		return false
	}
	if s := c.strikes[from]; s.round == c.round && s.n >= maxStrikes {
		c.drop(DropStruck)
		return true
	}
	return false
}

// strike charges sender from with a message that failed a check it could
// only fail by being forged: a certificate, or a signature of its own or
// of a proposal it relayed (an honest relay passes on only what it
// checked). A negative from is never charged.
func (c *Core) strike(from int) {
	if from < 0 {
		return
	}
	s := c.strikes[from]
	if s.round != c.round {
		s = strike{round: c.round}
	}
	s.n++
	c.strikes[from] = s
}
