package attestor

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lazchain/lazchain/internal/crypto"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// tally holds the votes for one (artifact, rotation, verdict, digest).
type tally struct {
	reason    string
	sigs      map[uint32][]byte
	born      time.Time
	reached   time.Time // when the votes first passed the threshold
	submitted time.Time
}

// OnVote takes a vote from a peer. It runs on the peer's reader
// goroutine, so it only decodes, checks the seat and queues: tallying can
// lead to aggregate checks and a transaction, which must not hold up the
// peer's other frames. Signatures are not checked one by one: the
// aggregate is checked once, and only if it fails are the votes checked
// individually to drop the bad ones. A full queue drops the vote; its
// sender sends it again (see resend).
func (a *Attestor) OnVote(from p2p.NodeID, payload []byte) error {
	v, err := DecodeVote(payload)
	if err != nil {
		return err
	}
	st := a.cfg.Chain.IDAOs()
	if name, ok := st.PendingIn(v.Artifact); ok {
		c, ok := st.Committee(name, v.Rotation)
		if !ok || int(v.Seat) >= len(c.Seats) {
			return fmt.Errorf("idao vote: seat %d of rotation %d is not in %q's committee", v.Seat, v.Rotation, name)
		}
		if val, ok := a.cfg.Chain.Staking().Validator(c.Seats[v.Seat].Operator); !ok || p2p.NodeID(val.NodeID) != from {
			return fmt.Errorf("idao vote: seat %d does not belong to the sending node", v.Seat)
		}
	}
	select {
	case a.inbox <- v:
		return nil
	default:
		return errVoteOverload
	}
}

var errVoteOverload = errors.New("idao vote: queue full")

// tallyLoop adds queued votes to their tallies.
func (a *Attestor) tallyLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case v := <-a.inbox:
			a.addVote(v)
		}
	}
}

func (a *Attestor) addVote(v Vote) {
	k := v.key()
	a.mu.Lock()
	t := a.tallies[k]
	if t == nil {
		t = &tally{sigs: map[uint32][]byte{}, born: time.Now()}
		a.tallies[k] = t
	}
	_, dup := t.sigs[v.Seat]
	if dup || a.votes >= maxVotes {
		a.mu.Unlock()
		return
	}
	t.sigs[v.Seat] = v.Sig
	if !v.Verdict && t.reason == "" && verify.Invalid("%s", v.Reason).Digest == v.Digest {
		t.reason = v.Reason
	}
	a.votes++
	a.mu.Unlock()
	a.tryCertify(k)
}

// tryCertify submits a certificate for k if its votes pass the threshold
// and it is this member's turn: at once for the designated aggregator,
// after Backup for the others.
func (a *Attestor) tryCertify(k tallyKey) {
	st := a.cfg.Chain.IDAOs()
	name, ok := st.PendingIn(k.artifact)
	if !ok {
		return
	}
	c, ok := st.Committee(name, k.rotation)
	d, _ := st.IDAO(name)
	me, isVal := a.self(a.cfg.Chain.Staking())
	if !ok || d == nil || !isVal || c.Index(me) < 0 {
		return
	}
	now := time.Now()
	a.mu.Lock()
	t := a.tallies[k]
	if t == nil {
		a.mu.Unlock()
		return
	}
	sigs := make(map[uint32][]byte, len(t.sigs))
	for s, sig := range t.sigs {
		if int(s) < len(c.Seats) {
			sigs[s] = sig
		}
	}
	if !d.Policy.Reached(power(c, sigs), c.Power()) {
		a.mu.Unlock()
		return
	}
	if t.reached.IsZero() {
		t.reached = now
	}
	// Members take turns: the designated one at once, the next in seat
	// order after one Backup, the one after that after two, so a
	// certificate that is merely slow to land is not sent four times.
	rank := (c.Index(me) - int(k.artifact[0])%len(c.Seats) + len(c.Seats)) % len(c.Seats)
	due := now.Sub(t.reached) >= time.Duration(rank)*a.cfg.Backup
	if !due || (!t.submitted.IsZero() && now.Sub(t.submitted) < resubmitAfter) {
		a.mu.Unlock()
		return
	}
	t.submitted = now
	reason := t.reason
	a.mu.Unlock()
	// Signature work happens outside the lock.
	at, ok := a.certificate(c, d.Policy, k, sigs)
	if !ok {
		return
	}
	at.Reason = reason
	if err := a.cfg.Submit(idao.KindAttest, at.Encode()); err != nil {
		a.cfg.Log.Warn("submitting certificate failed", "artifact", short(k.artifact), "err", err)
		return
	}
	a.Stats.Certificates.Add(1)
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
func (a *Attestor) certificate(c *idao.Committee, p idao.Policy, k tallyKey, sigs map[uint32][]byte) (idao.Attest, bool) {
	msg := idao.VoteBytes(a.cfg.ChainID, c.IDAO, k.artifact, k.verdict, k.digest, k.rotation)
	at, pks, ok := aggregate(c, k, sigs)
	if ok && (bls.Scheme{}).VerifyAggregate(pks, msg, at.Sig) {
		return at, true
	}
	good := map[uint32][]byte{}
	for s, sig := range sigs {
		pk, err := (bls.Scheme{}).ParsePublicKey(c.Seats[s].BLSKey)
		if err == nil && (bls.Scheme{}).Verify(pk, msg, sig) {
			good[s] = sig
			continue
		}
		a.mu.Lock()
		if t := a.tallies[k]; t != nil && t.sigs[s] != nil {
			delete(t.sigs, s)
			a.votes--
			t.submitted, t.reached = time.Time{}, time.Time{}
		}
		a.mu.Unlock()
	}
	if !p.Reached(power(c, good), c.Power()) {
		return idao.Attest{}, false
	}
	at, _, ok = aggregate(c, k, good)
	return at, ok
}

func aggregate(c *idao.Committee, k tallyKey, sigs map[uint32][]byte) (idao.Attest, []crypto.PublicKey, bool) {
	bm := types.NewBitmap(len(c.Seats))
	var list [][]byte
	var pks []crypto.PublicKey
	for i := range c.Seats {
		sig, ok := sigs[uint32(i)]
		if !ok {
			continue
		}
		pk, err := (bls.Scheme{}).ParsePublicKey(c.Seats[i].BLSKey)
		if err != nil {
			return idao.Attest{}, nil, false
		}
		bm.Set(i)
		list = append(list, sig)
		pks = append(pks, pk)
	}
	agg, err := (bls.Scheme{}).Aggregate(list)
	if err != nil {
		return idao.Attest{}, nil, false
	}
	return idao.Attest{Artifact: k.artifact, Verdict: k.verdict, Digest: k.digest, Rotation: k.rotation, Signers: bm, Sig: agg}, pks, true
}
