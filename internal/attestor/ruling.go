package attestor

import (
	"errors"
	"fmt"
	"time"

	"github.com/lazchain/lazchain/internal/crypto"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
)

var (
	errRulingSeat       = errors.New("idao ruling vote: the signer index does not belong to the sending node")
	errEarlyRulingFlood = errors.New("idao ruling vote: too many votes for unknown disputes or epochs from this peer")
)

// castRuling signs this validator's decided side of dispute id for epoch,
// sends it to the rest of the set and counts it. me is this validator's
// index in set, epoch's active set.
func (a *Attestor) castRuling(id types.Hash, epoch uint64, set []staking.Member, me int) {
	if me < 0 {
		return
	}
	a.mu.Lock()
	r := a.runs[id]
	if r == nil || !r.decided || r.step != stepSign {
		a.mu.Unlock()
		return
	}
	c := r.choice
	a.mu.Unlock()
	msg := idao.RulingSigningBytes(a.cfg.ChainID, id, c.ForChallenger, c.Verdict, c.Digest, epoch)
	v := RulingVote{Dispute: id, Epoch: epoch, Signer: uint32(me), ForChallenger: c.ForChallenger, Verdict: c.Verdict,
		Digest: c.Digest, Sig: a.cfg.Key.Sign(msg), Reason: c.Reason}
	enc := v.Encode()
	a.mu.Lock()
	if r := a.runs[id]; r != nil {
		r.vote, r.epoch, r.sent = enc, epoch, time.Now()
	}
	a.mu.Unlock()
	a.Stats.RulingVotes.Add(1)
	a.sendToSet(set, me, enc)
	a.addRulingVote(v)
}

// sendToSet sends payload to every member of set but me.
func (a *Attestor) sendToSet(set []staking.Member, me int, payload []byte) {
	for i, m := range set {
		if i != me {
			a.cfg.Send(p2p.NodeID(m.NodeID), payload)
		}
	}
}

// OnRulingVote takes a ruling vote from a peer. Like OnVote it runs on
// the peer's reader goroutine, so it only decodes, checks that the signer
// index belongs to the sender and queues. A vote for a dispute not open
// here, or of an epoch not begun here, is held against the sender's
// budget; one of a past epoch is dropped, since only the current set may
// rule.
func (a *Attestor) OnRulingVote(from p2p.NodeID, payload []byte) error {
	v, err := DecodeRulingVote(payload)
	if err != nil {
		return err
	}
	a.mu.Lock()
	view := a.view
	known := view.set != nil && v.Epoch == view.epoch
	if view.set != nil && v.Epoch < view.epoch {
		a.mu.Unlock()
		return nil
	}
	if known && (int(v.Signer) >= len(view.set) || p2p.NodeID(view.set[v.Signer].NodeID) != from) {
		a.mu.Unlock()
		return fmt.Errorf("%w (signer %d of epoch %d)", errRulingSeat, v.Signer, v.Epoch)
	}
	if !known || !view.open[v.Dispute] {
		if !a.rulings.reserve(from) {
			a.mu.Unlock()
			return errEarlyRulingFlood
		}
		v.early, v.from = true, from
	}
	a.mu.Unlock()
	select {
	case a.rulingInbox <- v:
		return nil
	default:
		a.mu.Lock()
		a.rulings.releaseVote(v)
		a.mu.Unlock()
		return errVoteOverload
	}
}

// addRulingVote counts v and submits the ruling if it is due.
func (a *Attestor) addRulingVote(v RulingVote) {
	a.mu.Lock()
	added := a.rulings.add(v, time.Now())
	a.mu.Unlock()
	if added {
		a.tryRule(v.key())
	}
}

// tryRule submits the ruling for k if its votes carry more than two thirds
// of the active set's stake and it is this validator's turn.
func (a *Attestor) tryRule(k rulingKey) {
	stk := a.cfg.Chain.Staking()
	if stk.Epoch() != k.epoch {
		return
	}
	set := stk.Active()
	me := seatIn(set, a.pk)
	a.mu.Lock()
	if !a.view.open[k.dispute] {
		a.mu.Unlock()
		return
	}
	sigs, reason, ok := a.rulings.due(k, set, me, a.cfg.Backup, time.Now())
	a.mu.Unlock()
	if !ok {
		return
	}
	msg := idao.RulingSigningBytes(a.cfg.ChainID, k.dispute, k.forChallenger, k.verdict, k.digest, k.epoch)
	signers, sig, ok := a.rulingCertificate(set, k, sigs, msg)
	if !ok {
		return
	}
	body := idao.Ruling{Dispute: k.dispute, ForChallenger: k.forChallenger, Verdict: k.verdict, Digest: k.digest,
		Reason: reason, Epoch: k.epoch, Signers: signers, Sig: sig}.Encode()
	if err := a.cfg.Submit(idao.KindRuling, body); err != nil {
		a.cfg.Log.Warn("submitting ruling failed", "dispute", short(k.dispute), "err", err)
		return
	}
	a.Stats.Rulings.Add(1)
	a.cfg.Log.Info("ruling submitted", "dispute", short(k.dispute), "for_challenger", k.forChallenger, "epoch", k.epoch, "signers", signers.Count())
}

// rulingCertificate aggregates the votes and checks the aggregate once; if
// it fails, each vote is checked and the bad ones are forgotten.
func (a *Attestor) rulingCertificate(set []staking.Member, k rulingKey, sigs map[uint32][]byte, msg []byte) (types.Bitmap, []byte, bool) {
	keys := make([][]byte, len(set))
	for i, m := range set {
		keys[i] = m.BLSKey
	}
	bm, sig, pks, ok := aggregateKeys(keys, sigs)
	if ok && (bls.Scheme{}).VerifyAggregate(pks, msg, sig) {
		return bm, sig, true
	}
	a.mu.Lock()
	verified := a.rulings.verifiedSigners(k)
	a.mu.Unlock()
	good := map[uint32][]byte{}
	var passed []uint32
	for s, vs := range sigs {
		if verified[s] {
			good[s] = vs
			continue
		}
		pk, err := (bls.Scheme{}).ParsePublicKey(keys[s])
		if err == nil && (bls.Scheme{}).Verify(pk, msg, vs) {
			good[s] = vs
			passed = append(passed, s)
			continue
		}
		a.mu.Lock()
		a.rulings.forget(k, s, vs)
		a.mu.Unlock()
	}
	a.mu.Lock()
	a.rulings.markVerified(k, passed, good)
	a.mu.Unlock()
	if !setReached(set, good) {
		return nil, nil, false
	}
	bm, sig, _, ok = aggregateKeys(keys, good)
	return bm, sig, ok
}

// aggregateKeys aggregates sigs, indexed like keys, into a bitmap over
// keys, the aggregate signature and the signers' public keys.
func aggregateKeys(keys [][]byte, sigs map[uint32][]byte) (types.Bitmap, []byte, []crypto.PublicKey, bool) {
	bm := types.NewBitmap(len(keys))
	var list [][]byte
	var pks []crypto.PublicKey
	for i, key := range keys {
		sig, ok := sigs[uint32(i)]
		if !ok {
			continue
		}
		pk, err := (bls.Scheme{}).ParsePublicKey(key)
		if err != nil {
			return nil, nil, nil, false
		}
		bm.Set(i)
		list = append(list, sig)
		pks = append(pks, pk)
	}
	agg, err := (bls.Scheme{}).Aggregate(list)
	if err != nil {
		return nil, nil, nil, false
	}
	return bm, agg, pks, true
}
