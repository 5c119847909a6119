package attestor

import "bytes"

// voteChecks is what a tally learnt from checking its votes one by one:
// verified signers' votes passed alone, and are not checked again; failed
// signers' own votes (not early ones, whose sender was not matched to the
// signer) did not, and their further votes are refused from the tally.
// Without it, one faulty member resending a bad vote made the aggregator
// check every vote again, each time.
type voteChecks struct {
	verified map[uint32]bool
	failed   map[uint32]bool
}

// passed records signers whose votes in sigs passed alone, if held still
// has those votes.
func (c *voteChecks) passed(signers []uint32, sigs, held map[uint32][]byte) {
	for _, s := range signers {
		if bytes.Equal(held[s], sigs[s]) {
			if c.verified == nil {
				c.verified = map[uint32]bool{}
			}
			c.verified[s] = true
		}
	}
}

// failedCheck records that signer s's vote failed its check; checked says
// whether its sender was seen to own the signer, which bars the signer.
func (c *voteChecks) failedCheck(s uint32, checked bool) {
	delete(c.verified, s)
	if checked {
		if c.failed == nil {
			c.failed = map[uint32]bool{}
		}
		c.failed[s] = true
	}
}
