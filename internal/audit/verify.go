package audit

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/light"
	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/smt"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/types"
)

// CheckError names the check a bundle failed.
type CheckError struct {
	Check string
	Err   error
}

func (e *CheckError) Error() string { return fmt.Sprintf("audit check %q failed: %v", e.Check, e.Err) }
func (e *CheckError) Unwrap() error { return e.Err }

func failf(check, format string, args ...any) error {
	return &CheckError{Check: check, Err: fmt.Errorf(format, args...)}
}

// Report is what a verified bundle proves.
type Report struct {
	Artifact  *idao.Artifact
	Committee *idao.Committee
	Disputes  []*idao.Dispute
	Events    []HistoryEvent
	Header    *types.Header
	Epochs    map[uint64]*state.Epoch
	// CertSigned is the committee stake that signed the iDAO certificate.
	CertSigned, CertTotal uint64
}

// HistoryEvent is one proven event.
type HistoryEvent struct {
	Height uint64
	Index  uint64
	Event  idao.Event
}

// Verify checks every part of b against genesis, the epoch the genesis
// file defines, and returns what it proves.
func Verify(chainID string, genesis *state.Epoch, b *Bundle) (*Report, error) {
	if b.ChainID != chainID {
		return nil, failf("chain id", "bundle is for chain %q, genesis is %q", b.ChainID, chainID)
	}
	rep := &Report{Header: b.Header, Epochs: map[uint64]*state.Epoch{0: genesis}}
	if err := rep.followEpochs(chainID, genesis, b); err != nil {
		return nil, err
	}
	if err := rep.checkCommit(chainID, b); err != nil {
		return nil, err
	}
	records, err := proveRecords(b)
	if err != nil {
		return nil, err
	}
	if err := rep.checkArtifact(chainID, b.Artifact, records); err != nil {
		return nil, err
	}
	if err := rep.checkDisputes(chainID, records); err != nil {
		return nil, err
	}
	if err := rep.checkEvents(b, records); err != nil {
		return nil, err
	}
	if len(records) != 0 {
		return nil, failf("state proof", "%d records the history does not use", len(records))
	}
	return rep, nil
}

// followEpochs walks the validator sets from genesis to the header's
// epoch through their change certificates.
func (rep *Report) followEpochs(chainID string, genesis *state.Epoch, b *Bundle) error {
	if uint64(len(b.Epochs)) != b.Header.Epoch {
		return failf("epoch chain", "header is in epoch %d but the bundle has %d epoch changes", b.Header.Epoch, len(b.Epochs))
	}
	cur := genesis
	for i, s := range b.Epochs {
		e, err := state.DecodeEpoch(s.Epoch)
		if err != nil {
			return failf("epoch chain", "epoch %d record: %v", i+1, err)
		}
		c, err := types.DecodeEpochCert(s.Cert)
		if err != nil {
			return failf("epoch chain", "epoch %d certificate: %v", i+1, err)
		}
		if !bytes.Equal(state.EncodeEpoch(e), s.Epoch) || !bytes.Equal(types.EncodeEpochCert(c), s.Cert) {
			return failf("epoch chain", "epoch %d is not canonically encoded", i+1)
		}
		if cur, err = light.Next(chainID, cur, light.Step{Epoch: e, Cert: c}); err != nil {
			return failf("epoch chain", "%v", err)
		}
		rep.Epochs[cur.Number] = cur
	}
	return nil
}

// checkCommit verifies the QC on the header with its epoch's set.
func (rep *Report) checkCommit(chainID string, b *Bundle) error {
	e := rep.Epochs[b.Header.Epoch]
	set, err := e.ValidatorSet(chainID)
	if err != nil {
		return failf("commit certificate", "epoch %d set: %v", e.Number, err)
	}
	switch {
	case b.Commit.BlockID != b.Header.ID():
		return failf("commit certificate", "certificate is for block %s, header is %s", b.Commit.BlockID.Short(), b.Header.ID().Short())
	case b.Commit.Round != b.Header.Round:
		return failf("commit certificate", "certificate round %d, header round %d", b.Commit.Round, b.Header.Round)
	case b.Header.Height <= e.LastHeight || b.Header.Height > e.EndHeight:
		return failf("commit certificate", "header height %d outside epoch %d (%d, %d]", b.Header.Height, e.Number, e.LastHeight, e.EndHeight)
	case b.Header.State.IsZero():
		return failf("commit certificate", "header vouches for no state")
	}
	if err := b.Commit.Verify(set, types.Hash{}); err != nil || b.Commit.Round == 0 {
		return failf("commit certificate", "%v", errors.Join(err, errIf(b.Commit.Round == 0, "round 0")))
	}
	return nil
}

func errIf(c bool, msg string) error {
	if c {
		return errors.New(msg)
	}
	return nil
}

// proveRecords checks every record against the header's state root and
// returns them by key; each key may appear once.
func proveRecords(b *Bundle) (map[string][]byte, error) {
	out := map[string][]byte{}
	root := b.Header.State.Root
	for _, r := range b.Records {
		if _, dup := out[string(r.Key)]; dup {
			return nil, failf("state proof", "key %x appears twice", r.Key)
		}
		if err := smt.VerifyInclusion(root, r.Key, r.Value, r.Proof); err != nil {
			return nil, failf("state proof", "key %x: %v", r.Key, err)
		}
		out[string(r.Key)] = r.Value
	}
	return out, nil
}

// take removes and returns a proven record.
func take(records map[string][]byte, key []byte, what string) ([]byte, error) {
	v, ok := records[string(key)]
	if !ok {
		return nil, failf("state proof", "no proven record for %s", what)
	}
	delete(records, string(key))
	return v, nil
}

func (rep *Report) checkArtifact(chainID string, id types.Hash, records map[string][]byte) error {
	v, err := take(records, state.ArtifactKey(id), "the artifact")
	if err != nil {
		return err
	}
	a, err := idao.DecodeArtifact(v)
	if err != nil || a.ID != id || !bytes.Equal(a.Encode(), v) {
		return failf("artifact record", "record does not decode to artifact %s: %v", id.Short(), err)
	}
	rep.Artifact = a
	if !a.Settled() {
		return nil // pending or expired: no certificate to check
	}
	cv, err := take(records, state.CommitteeKey(a.Submit.IDAO, a.CertRotation), "the certificate's committee")
	if err != nil {
		return err
	}
	c, err := idao.DecodeCommittee(cv)
	if err != nil || c.IDAO != a.Submit.IDAO || c.Rotation != a.CertRotation {
		return failf("iDAO certificate", "committee record of %q rotation %d: %v", a.Submit.IDAO, a.CertRotation, err)
	}
	rep.Committee = c
	return nil // the signature is checked once the disputes say which verdict it signed
}

// certified returns the verdict and digest the iDAO certificate signed: an
// overturned artifact carries the ruling's, and the dispute keeps the
// certificate's.
func (rep *Report) certified() (bool, types.Hash, error) {
	a := rep.Artifact
	if a.Status != idao.Overturned {
		return a.Verdict, a.Digest, nil
	}
	for _, d := range rep.Disputes {
		if d.ID == a.OverturnedBy {
			return d.CertVerdict, d.CertDigest, nil
		}
	}
	return false, types.Hash{}, failf("dispute", "overturned by %s, which the bundle does not prove", a.OverturnedBy.Short())
}

func (rep *Report) checkCertificate(chainID string) error {
	a, c := rep.Artifact, rep.Committee
	verdict, digest, err := rep.certified()
	if err != nil {
		return err
	}
	msg := idao.VoteBytes(chainID, a.Submit.IDAO, a.ID, verdict, digest, a.CertRotation)
	if a.Batched {
		leaf := idao.BatchLeaf(a.ID, idao.Entry{Verdict: verdict, Digest: digest})
		p := merkle.Proof{Index: uint64(a.BatchIndex), Count: uint64(a.BatchCount), Path: toMerkle(a.BatchPath)}
		if err := p.Verify(merkle.Hash(a.BatchRoot), leaf); err != nil {
			return failf("iDAO certificate", "batch entry %d of %d: %v", a.BatchIndex, a.BatchCount, err)
		}
		msg = idao.BatchVoteBytes(chainID, a.BatchKey(), a.CertRotation, int(a.BatchCount), merkle.Hash(a.BatchRoot))
	}
	signed, f := idao.CheckSigned(c, idao.Policy{ThresholdNum: 0, ThresholdDen: 1}, a.Signers, a.Sig, msg)
	if f != nil {
		return failf("iDAO certificate", "%v", f)
	}
	if signed != a.SignedPower || c.Power() != a.CommitteePower {
		return failf("iDAO certificate", "signers carry %d of %d, the record says %d of %d", signed, c.Power(), a.SignedPower, a.CommitteePower)
	}
	rep.CertSigned, rep.CertTotal = signed, c.Power()
	return nil
}

func toMerkle(hs []types.Hash) []merkle.Hash {
	out := make([]merkle.Hash, len(hs))
	for i, h := range hs {
		out[i] = merkle.Hash(h)
	}
	return out
}

func (rep *Report) checkDisputes(chainID string, records map[string][]byte) error {
	for _, id := range rep.Artifact.Disputes {
		v, err := take(records, state.DisputeKey(id), "dispute "+id.Short())
		if err != nil {
			return err
		}
		d, err := idao.DecodeDispute(v)
		if err != nil || d.ID != id || d.Artifact != rep.Artifact.ID || !bytes.Equal(d.Encode(), v) {
			return failf("dispute", "record of %s: %v", id.Short(), err)
		}
		if err := rep.checkRuling(chainID, d); err != nil {
			return err
		}
		rep.Disputes = append(rep.Disputes, d)
	}
	if rep.Artifact.Settled() {
		return rep.checkCertificate(chainID)
	}
	return nil
}

// checkRuling verifies a ruling certificate with the set of its epoch.
func (rep *Report) checkRuling(chainID string, d *idao.Dispute) error {
	j := d.Ruling
	if j == nil {
		return nil
	}
	e, ok := rep.Epochs[j.Epoch]
	if !ok {
		return failf("ruling certificate", "dispute %s was ruled in epoch %d, after the header's", d.ID.Short(), j.Epoch)
	}
	set, err := e.ValidatorSet(chainID)
	if err != nil {
		return failf("ruling certificate", "epoch %d set: %v", j.Epoch, err)
	}
	msg := idao.RulingSigningBytes(chainID, d.ID, j.ForChallenger, j.Verdict, j.Digest, j.Epoch)
	if err := set.VerifyAggregate(j.Signers, msg, j.Sig); err != nil {
		return failf("ruling certificate", "dispute %s: %v", d.ID.Short(), err)
	}
	if signed := set.BitmapStake(j.Signers); signed != j.SignedPower {
		return failf("ruling certificate", "signers carry %d, the record says %d", signed, j.SignedPower)
	}
	return nil
}

// checkEvents proves each event into its block's events root, and that
// the history has an event at every height the records name.
func (rep *Report) checkEvents(b *Bundle, records map[string][]byte) error {
	type eventsRoot struct {
		root  types.Hash
		count uint64
	}
	roots := map[uint64]eventsRoot{}
	for i, ev := range b.Events {
		if i > 0 {
			prev := b.Events[i-1]
			if ev.Height < prev.Height || (ev.Height == prev.Height && ev.Index <= prev.Index) {
				return failf("event proof", "event %d is out of order", i)
			}
		}
		r, ok := roots[ev.Height]
		if !ok {
			v, err := take(records, state.EventsRootKey(ev.Height), fmt.Sprintf("the events root of height %d", ev.Height))
			if err != nil {
				return err
			}
			root, count, err := state.ParseEventsRootValue(v)
			if err != nil {
				return failf("event proof", "height %d: %v", ev.Height, err)
			}
			r = eventsRoot{root, count}
			roots[ev.Height] = r
		}
		if ev.Count != r.count {
			return failf("event proof", "event %d claims %d events at height %d, the state says %d", i, ev.Count, ev.Height, r.count)
		}
		p := merkle.Proof{Index: ev.Index, Count: ev.Count, Path: ev.Path}
		if err := p.Verify(merkle.Hash(r.root), merkle.LeafHash(ev.Data)); err != nil {
			return failf("event proof", "event %d at height %d: %v", ev.Index, ev.Height, err)
		}
		e, err := state.DecodeEvent(ev.Data)
		if err != nil || e.Artifact != rep.Artifact.ID {
			return failf("event proof", "event %d at height %d is not about the artifact: %v", ev.Index, ev.Height, err)
		}
		rep.Events = append(rep.Events, HistoryEvent{Height: ev.Height, Index: ev.Index, Event: e})
	}
	return rep.checkHistory()
}

// checkHistory requires the event of every step the records name, so a
// bundle cannot leave out the part of the history it would rather hide.
func (rep *Report) checkHistory() error {
	a := rep.Artifact
	need := []HistoryEvent{{Height: a.Height, Event: idao.Event{Type: "artifact.submitted"}}}
	if a.Settled() {
		need = append(need, HistoryEvent{Height: a.AttestHeight, Event: idao.Event{Type: "artifact.attested"}})
	}
	for _, d := range rep.Disputes {
		need = append(need, HistoryEvent{Height: d.Opened, Event: idao.Event{Type: "dispute.opened"}})
		if d.Ruling != nil {
			need = append(need, HistoryEvent{Height: d.Closed, Event: idao.Event{Type: "dispute.ruled"}})
		}
	}
	for _, n := range need {
		found := slices.ContainsFunc(rep.Events, func(e HistoryEvent) bool {
			return e.Height == n.Height && e.Event.Type == n.Event.Type
		})
		if !found {
			return failf("history", "no proven %s event at height %d", n.Event.Type, n.Height)
		}
	}
	return nil
}
