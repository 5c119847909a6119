package attestor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/lazchain/lazchain/internal/crypto"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// tally holds the votes for one (artifact, rotation, verdict, digest).
type tally struct {
	early []p2p.NodeID // senders of votes taken before the subject was known
	// unchecked names the seats whose vote came early, before its seat
	// and sender could be checked, with the sender: a checked vote for the
	// seat replaces such a one, so that a peer sending junk votes for
	// every seat first cannot lock the honest members' votes out.
	unchecked  map[uint32]p2p.NodeID
	reason     string
	entries    []idao.Entry // a batch's verdicts, when this member's own vote is in the tally
	sigs       map[uint32][]byte
	voteChecks // by seat
	born       time.Time
	reached    time.Time // when the votes first passed the threshold
	submitted  time.Time
}

// OnVote takes a ChanIDAO message from a peer: an artifact or batch vote,
// or a ruling vote, which goes to OnRulingVote. It runs on the peer's reader
// goroutine, so it only decodes, checks the seat and queues: tallying can
// lead to aggregate checks and a transaction, which must not hold up the
// peer's other frames. Signatures are not checked one by one: the
// aggregate is checked once, and only if it fails are the votes checked
// individually to drop the bad ones. A full queue drops the vote; its
// sender sends it again (see resend).
func (a *Attestor) OnVote(from p2p.NodeID, payload []byte) error {
	if len(payload) > 0 && payload[0] == msgRulingVote {
		return a.OnRulingVote(from, payload)
	}
	v, err := DecodeVote(payload)
	if err != nil {
		return err
	}
	st := a.cfg.Chain.IDAOs()
	name, pending := st.PendingIn(v.Artifact)
	if v.Batch != nil {
		ids, ok := st.Batch(*v.Batch)
		if ok && uint32(len(ids)) != v.Count {
			return fmt.Errorf("idao vote: batch %s has %d entries, vote says %d", v.Batch, len(ids), v.Count)
		}
		name, pending = v.Batch.IDAO, ok
	}
	if pending {
		c, ok := st.Committee(name, v.Rotation)
		if !ok || int(v.Seat) >= len(c.Seats) {
			return fmt.Errorf("idao vote: seat %d of rotation %d is not in %q's committee", v.Seat, v.Rotation, name)
		}
		if val, ok := a.cfg.Chain.Staking().Validator(c.Seats[v.Seat].Operator); !ok || p2p.NodeID(val.NodeID) != from {
			return fmt.Errorf("idao vote: seat %d does not belong to the sending node", v.Seat)
		}
	}
	if !pending {
		// Not committed here yet, so not checkable yet: each peer may have
		// only so many of these held at once.
		a.mu.Lock()
		if a.early[from] >= maxEarlyPerPeer {
			a.mu.Unlock()
			return errEarlyFlood
		}
		a.early[from]++
		a.mu.Unlock()
		v.early, v.from = true, from
	}
	select {
	case a.inbox <- v:
		return nil
	default:
		a.releaseEarly(v)
		return errVoteOverload
	}
}

// maxEarlyPerPeer bounds the votes one peer may have held for subjects
// this node has not seen committed.
const maxEarlyPerPeer = 4096

var (
	errVoteOverload = errors.New("idao vote: queue full")
	errEarlyFlood   = errors.New("idao vote: too many votes for unknown artifacts from this peer")
)

// releaseEarly gives back an early vote's place in its sender's budget.
// Called with a.mu not held.
func (a *Attestor) releaseEarly(v Vote) {
	if !v.early {
		return
	}
	a.mu.Lock()
	a.dropEarly(v.from)
	a.mu.Unlock()
}

// dropEarly is releaseEarly with a.mu held.
func (a *Attestor) dropEarly(from p2p.NodeID) {
	if a.early[from]--; a.early[from] <= 0 {
		delete(a.early, from)
	}
}

// tallyLoop adds queued votes to their tallies.
func (a *Attestor) tallyLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case v := <-a.inbox:
			a.addVote(v)
		case v := <-a.rulingInbox:
			a.addRulingVote(v)
		}
	}
}

func (a *Attestor) addVote(v Vote) { a.addVoteWith(v, nil) }

// addVoteWith adds v; entries are this member's own batch verdicts.
func (a *Attestor) addVoteWith(v Vote, entries []idao.Entry) {
	k := v.key()
	a.mu.Lock()
	t := a.tallies[k]
	if t == nil {
		t = &tally{sigs: map[uint32][]byte{}, born: time.Now()} // kept only if the vote is
	}
	if t.failed[v.Seat] {
		if v.early {
			a.dropEarly(v.from)
		}
		a.mu.Unlock()
		return
	}
	_, dup := t.sigs[v.Seat]
	if earlyFrom, unchecked := t.unchecked[v.Seat]; dup && unchecked && !v.early {
		// A checked vote displaces an unchecked one for its seat.
		delete(t.sigs, v.Seat)
		delete(t.unchecked, v.Seat)
		if i := slices.Index(t.early, earlyFrom); i >= 0 {
			t.early = slices.Delete(t.early, i, i+1)
		}
		a.dropEarly(earlyFrom)
		a.votes--
		dup = false
	}
	sk := seatKey{subject: k.artifact, rotation: k.rotation, seat: v.Seat}
	other, voted := a.seatVotes[sk]
	if dup || a.votes >= maxVotes || (!v.early && voted && other != k) {
		// A seat has one checked vote per subject and rotation, as an
		// honest member signs: another (verdict, digest) from it would
		// open a tally that never reaches the threshold, so is never
		// checked, and one faulty member could fill maxVotes with them.
		if v.early {
			a.dropEarly(v.from)
		}
		a.mu.Unlock()
		return
	}
	if !v.early {
		a.seatVotes[sk] = k
	}
	a.tallies[k] = t
	if v.Batch != nil {
		a.batchKeys[k.artifact] = *v.Batch
	}
	t.sigs[v.Seat] = v.Sig
	delete(t.verified, v.Seat)
	if v.early {
		t.early = append(t.early, v.from)
		if t.unchecked == nil {
			t.unchecked = map[uint32]p2p.NodeID{}
		}
		t.unchecked[v.Seat] = v.from
	}
	if entries != nil {
		t.entries = entries
	}
	if !v.Verdict && t.reason == "" && verify.Invalid("%s", v.Reason).Digest == v.Digest {
		t.reason = v.Reason
	}
	a.votes++
	a.mu.Unlock()
	a.tryCertify(k)
}

// subject resolves a tally to what it certifies: one pending artifact,
// or a pending batch.
func (a *Attestor) subject(st *idao.State, k tallyKey) (name string, batch *idao.BatchKey, ids []types.Hash, ok bool) {
	if name, ok := st.PendingIn(k.artifact); ok {
		return name, nil, nil, true
	}
	a.mu.Lock()
	bk, isBatch := a.batchKeys[k.artifact]
	a.mu.Unlock()
	if isBatch {
		if ids, ok := st.Batch(bk); ok {
			return bk.IDAO, &bk, ids, true
		}
	}
	return "", nil, nil, false
}

// tryCertify submits a certificate for k if its votes pass the threshold
// and it is this member's turn: at once for the designated aggregator,
// after Backup for the others.
func (a *Attestor) tryCertify(k tallyKey) {
	st := a.cfg.Chain.IDAOs()
	name, batch, ids, ok := a.subject(st, k)
	if !ok {
		return
	}
	c, ok := st.Committee(name, k.rotation)
	d, _ := st.IDAO(name)
	me, isVal := a.self(a.cfg.Chain.Staking())
	if !ok || d == nil || !isVal || c.Index(me) < 0 {
		return
	}
	sigs, t, ok := a.due(k, c, d.Policy, me, batch != nil)
	if !ok {
		return
	}
	var msg []byte
	if batch != nil {
		msg = idao.BatchVoteBytes(a.cfg.ChainID, *batch, k.rotation, len(ids), k.digest)
	} else {
		msg = idao.VoteBytes(a.cfg.ChainID, name, k.artifact, k.verdict, k.digest, k.rotation)
	}
	// Signature work happens outside the lock.
	signers, sig, ok := a.certificate(c, d.Policy, k, sigs, msg)
	if !ok {
		return
	}
	kind, body := idao.KindAttest, []byte(nil)
	if batch != nil {
		kind = idao.KindAttestBatch
		body = idao.AttestBatch{Key: *batch, Rotation: k.rotation, Entries: t.entries, Signers: signers, Sig: sig}.Encode()
	} else {
		body = idao.Attest{Artifact: k.artifact, Verdict: k.verdict, Digest: k.digest, Rotation: k.rotation,
			Signers: signers, Sig: sig, Reason: t.reason}.Encode()
	}
	if err := a.cfg.Submit(kind, body); err != nil {
		a.cfg.Log.Warn("submitting certificate failed", "subject", short(k.artifact), "err", err)
		return
	}
	a.Stats.Certificates.Add(1)
}

// due reports whether the tally for k passes the threshold and it is this
// member's turn to submit, and marks it submitted. A batch certificate
// carries the entries, which only a member whose own verdicts match the
// votes has: until then it is not this member's turn, and it must not
// mark the tally submitted, or its turn would pass silently and the batch
// wait for a backup aggregator.
func (a *Attestor) due(k tallyKey, c *idao.Committee, p idao.Policy, me staking.Address, batch bool) (map[uint32][]byte, tallyInfo, bool) {
	now := time.Now()
	jailed := a.jailedSeats(c)
	a.mu.Lock()
	defer a.mu.Unlock()
	t := a.tallies[k]
	if t == nil {
		return nil, tallyInfo{}, false
	}
	sigs := make(map[uint32][]byte, len(t.sigs))
	for s, sig := range t.sigs {
		if int(s) < len(c.Seats) && !jailed[s] {
			sigs[s] = sig
		}
	}
	if !p.Reached(power(c, sigs), c.Power()) {
		return nil, tallyInfo{}, false
	}
	if t.reached.IsZero() {
		t.reached = now
	}
	if batch && t.entries == nil {
		return nil, tallyInfo{}, false
	}
	// Members take turns: the designated one at once, the next in seat
	// order after one Backup, the one after that after two, so a
	// certificate that is merely slow to land is not sent four times.
	rank := (c.Index(me) - int(k.artifact[0])%len(c.Seats) + len(c.Seats)) % len(c.Seats)
	if now.Sub(t.reached) < time.Duration(rank)*a.cfg.Backup || (!t.submitted.IsZero() && now.Sub(t.submitted) < resubmitAfter) {
		return nil, tallyInfo{}, false
	}
	t.submitted = now
	return sigs, tallyInfo{reason: t.reason, entries: t.entries}, true
}

// jailedSeats are the seats of c whose validators are jailed now: the
// chain refuses a certificate they signed, so their votes are left out.
func (a *Attestor) jailedSeats(c *idao.Committee) map[uint32]bool {
	st := a.cfg.Chain.Staking()
	var out map[uint32]bool
	for i, seat := range c.Seats {
		if v, ok := st.Validator(seat.Operator); ok && v.Jailed {
			if out == nil {
				out = map[uint32]bool{}
			}
			out[uint32(i)] = true
		}
	}
	return out
}

// tallyInfo is what a certificate needs from a tally besides signatures.
type tallyInfo struct {
	reason  string
	entries []idao.Entry
}

func power(c *idao.Committee, sigs map[uint32][]byte) uint64 {
	var p uint64
	for s := range sigs {
		p += c.Seats[s].Power
	}
	return p
}

// certificate aggregates the votes and checks the aggregate once; if it
// fails, each vote is checked and the bad ones are dropped (and forgotten,
// so they are not aggregated again).
func (a *Attestor) certificate(c *idao.Committee, p idao.Policy, k tallyKey, sigs map[uint32][]byte, msg []byte) (types.Bitmap, []byte, bool) {
	bm, sig, pks, ok := aggregate(c, sigs)
	if ok && (bls.Scheme{}).VerifyAggregate(pks, msg, sig) {
		return bm, sig, true
	}
	verified := a.verifiedSeats(k)
	good := map[uint32][]byte{}
	var passed []uint32
	for s, vs := range sigs {
		if verified[s] {
			good[s] = vs
			continue
		}
		if pk := c.PublicKey(int(s)); pk != nil && (bls.Scheme{}).Verify(pk, msg, vs) {
			good[s] = vs
			passed = append(passed, s)
			continue
		}
		a.forgetBadVote(k, s, vs)
	}
	a.markVerified(k, passed, good)
	if !p.Reached(power(c, good), c.Power()) {
		return nil, nil, false
	}
	bm, sig, _, ok = aggregate(c, good)
	return bm, sig, ok
}

// verifiedSeats copies the seats of k's tally already checked alone.
func (a *Attestor) verifiedSeats(k tallyKey) map[uint32]bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	t := a.tallies[k]
	if t == nil {
		return nil
	}
	return maps.Clone(t.verified)
}

// markVerified records seats whose votes passed alone, if the tally
// still holds those votes.
func (a *Attestor) markVerified(k tallyKey, seats []uint32, sigs map[uint32][]byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if t := a.tallies[k]; t != nil {
		t.passed(seats, sigs, t.sigs)
	}
}

// forgetBadVote drops seat s's vote sig from k's tally. A checked vote
// (its sender owns the seat) also bars the seat from the tally; an
// unchecked early one may have come from anyone, so only it goes.
func (a *Attestor) forgetBadVote(k tallyKey, s uint32, sig []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	t := a.tallies[k]
	if t == nil || !bytes.Equal(t.sigs[s], sig) {
		return
	}
	_, unchecked := t.unchecked[s]
	t.failedCheck(s, !unchecked)
	delete(t.sigs, s)
	delete(t.unchecked, s)
	delete(a.seatVotes, seatKey{subject: k.artifact, rotation: k.rotation, seat: s})
	a.votes--
	t.submitted, t.reached = time.Time{}, time.Time{}
}

func aggregate(c *idao.Committee, sigs map[uint32][]byte) (types.Bitmap, []byte, []crypto.PublicKey, bool) {
	keys := make([][]byte, len(c.Seats))
	for i, s := range c.Seats {
		keys[i] = s.BLSKey
	}
	return aggregateKeys(keys, sigs)
}
