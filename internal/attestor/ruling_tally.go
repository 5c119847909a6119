package attestor

import (
	"bytes"
	"maps"
	"time"

	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/quorum"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
)

// rulingKey names a tally of ruling votes: one dispute, one epoch's active
// set, one side with the result that supports it. Only identical votes
// aggregate, so only they are counted together.
type rulingKey struct {
	dispute       types.Hash
	epoch         uint64
	forChallenger bool
	verdict       bool
	digest        types.Hash
}

func (v RulingVote) key() rulingKey {
	return rulingKey{dispute: v.Dispute, epoch: v.Epoch, forChallenger: v.ForChallenger, verdict: v.Verdict, digest: v.Digest}
}

// rulingTally holds the votes for one rulingKey.
type rulingTally struct {
	sigs       map[uint32][]byte // by signer index in the epoch's active set
	reason     string            // for an invalid verdict, from the first vote
	early      []p2p.NodeID      // senders of votes held before the dispute or epoch was known
	checked    bool              // counted against the set since the last vote came in
	voteChecks                   // by signer
	unchecked  map[uint32]bool   // signers whose vote came early, unmatched to its sender
	born       time.Time
	reached    time.Time // when the votes first carried more than two thirds of the stake
	submitted  time.Time
}

// Bounds of the ruling book.
const (
	maxRulingVotes         = 50_000 // in all tallies
	maxEarlyRulingsPerPeer = 256    // held per peer for disputes or epochs not known here yet
	earlyRulingTTL         = 30 * time.Second
)

// rulingBook holds the ruling votes of every dispute. It does no I/O,
// checks no signature and reads no clock: the attestor passes the time
// in and holds its lock around every call.
type rulingBook struct {
	tallies map[rulingKey]*rulingTally
	signed  map[rulingSeat]rulingKey // the tally each signer's checked vote is in
	early   map[p2p.NodeID]int
	votes   int
}

// rulingSeat names one signer's vote on one dispute in one epoch.
type rulingSeat struct {
	dispute types.Hash
	epoch   uint64
	signer  uint32
}

func newRulingBook() *rulingBook {
	return &rulingBook{tallies: map[rulingKey]*rulingTally{}, signed: map[rulingSeat]rulingKey{}, early: map[p2p.NodeID]int{}}
}

// reserve takes a place in from's budget of early votes; false when it is
// spent.
func (b *rulingBook) reserve(from p2p.NodeID) bool {
	if b.early[from] >= maxEarlyRulingsPerPeer {
		return false
	}
	b.early[from]++
	return true
}

// release gives a place back.
func (b *rulingBook) release(from p2p.NodeID) {
	if b.early[from]--; b.early[from] <= 0 {
		delete(b.early, from)
	}
}

// add puts v in its tally. It reports false for a duplicate, a second
// choice of a signer whose vote was checked, or when the book is full; an
// early vote's place is then given back.
func (b *rulingBook) add(v RulingVote, now time.Time) bool {
	k := v.key()
	t := b.tallies[k]
	if t == nil {
		t = &rulingTally{sigs: map[uint32][]byte{}, born: now} // kept only if v is
	}
	if t.failed[v.Signer] {
		b.releaseVote(v)
		return false
	}
	seat := rulingSeat{dispute: v.Dispute, epoch: v.Epoch, signer: v.Signer}
	other, voted := b.signed[seat]
	_, dup := t.sigs[v.Signer]
	if dup || b.votes >= maxRulingVotes || (!v.early && voted && other != k) {
		// An honest validator signs one choice per dispute and epoch. A
		// tally of one faulty validator's other choices never passes two
		// thirds, so is never checked, and enough of them filled the
		// book until no dispute could be ruled.
		b.releaseVote(v)
		return false
	}
	if !v.early {
		b.signed[seat] = k
	}
	b.tallies[k] = t
	t.sigs[v.Signer] = v.Sig
	delete(t.verified, v.Signer)
	if v.early {
		t.early = append(t.early, v.from)
		if t.unchecked == nil {
			t.unchecked = map[uint32]bool{}
		}
		t.unchecked[v.Signer] = true
	}
	if !v.Verdict && t.reason == "" && reasonFits(v.Verdict, v.Digest, v.Reason) {
		t.reason = v.Reason
	}
	t.checked = false
	b.votes++
	return true
}

func (b *rulingBook) releaseVote(v RulingVote) {
	if v.early {
		b.release(v.from)
	}
}

// due reports whether k's votes carry more than two thirds of set's stake
// and it is validator me's turn to submit the ruling: at once for the
// designated aggregator (the dispute id's first byte mod the set size),
// then one backup after another, each a further backup later. It marks
// the tally submitted and returns its signatures and reason. set must be
// k's epoch's active set.
func (b *rulingBook) due(k rulingKey, set []staking.Member, me int, backup time.Duration, now time.Time) (map[uint32][]byte, string, bool) {
	t := b.tallies[k]
	if t == nil {
		return nil, "", false
	}
	t.checked = true
	if me < 0 || me >= len(set) {
		return nil, "", false
	}
	sigs := make(map[uint32][]byte, len(t.sigs))
	for s, sig := range t.sigs {
		if int(s) < len(set) {
			sigs[s] = sig
		}
	}
	if !setReached(set, sigs) {
		return nil, "", false
	}
	if t.reached.IsZero() {
		t.reached = now
	}
	n := len(set)
	rank := (me - int(k.dispute[0])%n + n) % n
	if now.Sub(t.reached) < time.Duration(rank)*backup || (!t.submitted.IsZero() && now.Sub(t.submitted) < resubmitAfter) {
		return nil, "", false
	}
	if !k.verdict && t.reason == "" {
		return nil, "", false // unreachable: every vote in the tally carries it
	}
	t.submitted = now
	return sigs, t.reason, true
}

// forget drops signer s's vote from k's tally, because its signature did
// not verify; the tally must pass the threshold again before it is sent.
func (b *rulingBook) forget(k rulingKey, s uint32, sig []byte) {
	t := b.tallies[k]
	if t == nil || t.sigs[s] == nil || !bytes.Equal(t.sigs[s], sig) {
		return
	}
	t.failedCheck(s, !t.unchecked[s])
	delete(t.unchecked, s)
	delete(t.sigs, s)
	delete(b.signed, rulingSeat{dispute: k.dispute, epoch: k.epoch, signer: s})
	b.votes--
	t.submitted, t.reached = time.Time{}, time.Time{}
}

// ready returns the tallies to look at again: those with votes not yet
// counted against the set, those past the threshold that are not yet
// submitted (a backup's turn may have come), and those submitted more than
// resubmitAfter ago whose dispute is still open (the transaction may have
// been dropped).
func (b *rulingBook) ready(now time.Time) []rulingKey {
	var out []rulingKey
	for k, t := range b.tallies {
		if !t.checked || !t.reached.IsZero() && (t.submitted.IsZero() || now.Sub(t.submitted) > resubmitAfter) {
			out = append(out, k)
		}
	}
	return out
}

// gc drops the tallies of past epochs, and those of disputes that are not
// open here or of epochs not begun here once they are earlyRulingTTL old.
func (b *rulingBook) gc(open map[types.Hash]bool, epoch uint64, now time.Time) {
	for k, t := range b.tallies {
		current := open[k.dispute] && k.epoch == epoch
		if k.epoch < epoch || !current && now.Sub(t.born) > earlyRulingTTL {
			b.votes -= len(t.sigs)
			for _, from := range t.early {
				b.release(from)
			}
			delete(b.tallies, k)
		}
	}
	for seat, k := range b.signed {
		if b.tallies[k] == nil {
			delete(b.signed, seat)
		}
	}
}

// setReached reports whether the signers carry more than two thirds of
// the set's stake.
func setReached(set []staking.Member, sigs map[uint32][]byte) bool {
	powers := make([]uint64, len(set))
	for i, m := range set {
		powers[i] = m.Power
	}
	total, err := quorum.Total(powers)
	if err != nil {
		return false
	}
	var signed uint64
	for s := range sigs {
		if int(s) < len(set) {
			signed += set[s].Power
		}
	}
	return quorum.Reached(signed, total)
}

// verifiedSigners copies the signers of k's tally already checked alone.
func (b *rulingBook) verifiedSigners(k rulingKey) map[uint32]bool {
	if t := b.tallies[k]; t != nil {
		return maps.Clone(t.verified)
	}
	return nil
}

// markVerified records signers whose votes passed alone, if the tally
// still holds those votes.
func (b *rulingBook) markVerified(k rulingKey, signers []uint32, sigs map[uint32][]byte) {
	if t := b.tallies[k]; t != nil {
		t.passed(signers, sigs, t.sigs)
	}
}
