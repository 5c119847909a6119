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
	if from >= 0 {
		if s := c.strikes[from]; s.round == c.round && s.n >= maxStrikes {
			c.drop(DropStruck)
			return false
		}
	}
	ok, forged := c.checkQC(qc)
	if ok && tc != nil {
		ok, forged = c.checkTC(tc)
	}
	if forged && from >= 0 {
		s := c.strikes[from]
		if s.round != c.round {
			s = strike{round: c.round}
		}
		s.n++
		c.strikes[from] = s
	}
	return ok
}
