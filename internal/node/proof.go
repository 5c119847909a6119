package node

import (
	"errors"
	"fmt"
	"slices"

	"github.com/lazchain/lazchain/internal/audit"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/smt"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/types"
)

// ErrRetry reports a proof that cannot be built yet: the records changed
// in the last few blocks, or an epoch certificate is still being signed.
var ErrRetry = errors.New("not provable yet, retry shortly")

// MaxBundleEpochs bounds the epoch steps one bundle carries: past it a
// client pages through GET /epochs and asks for the rest (from_epoch).
const MaxBundleEpochs = 1000

// ErrTooManyEpochs reports a bundle asked for with too long an epoch chain.
var ErrTooManyEpochs = errors.New("too many epochs for one bundle")

// provableHeaders is how far below the tip a proof's header may be.
const provableHeaders = 48

// ArtifactProof builds the audit bundle of an artifact: the newest
// committed header whose state result this node still holds as a tree
// version and whose records are unchanged since. Its epoch steps start
// after epoch from: a client that fetched the earlier ones by EpochSteps
// (a chain's whole history does not fit one answer) adds them itself.
func (n *Node) ArtifactProof(id types.Hash, from uint64) (*audit.Bundle, error) {
	a, err := n.Artifact(id)
	if err != nil {
		return nil, err
	}
	ds := n.artifactDisputes(a)
	keys, values := n.recordsOf(a, ds)
	// Walk down from the tip; each block is read once, and the block above
	// it (its committed child) carries the QC that certifies it.
	tip := n.status.get().Height
	child, _ := n.BlockAt(tip)
	for h := tip - min(tip, 1); h >= 1 && tip-h <= provableHeaders && child != nil; h-- {
		b, err := n.BlockAt(h)
		if err != nil {
			break
		}
		qc := child.QC
		child = b
		if qc == nil || qc.BlockID != b.ID() || b.State.IsZero() {
			continue // an epoch's first block is certified by its root's QC
		}
		tree, ok := n.machine.StateTree(b.State.Height)
		if !ok || !unchanged(tree, keys, values) {
			continue
		}
		return n.bundle(a, ds, b, qc, tree, keys, values, from)
	}
	return nil, fmt.Errorf("artifact %s: no recent certified header matches its records: %w", id.Short(), ErrRetry)
}

// recordsOf lists the state records an artifact's audit needs, with their
// current values.
func (n *Node) recordsOf(a *idao.Artifact, ds []*idao.Dispute) ([][]byte, [][]byte) {
	return auditRecords(a, ds, n.Committee)
}

// auditRecords is recordsOf with the committee history passed in. An
// auditor takes exactly the records it uses: an expired artifact has no
// certificate, so its committee (rotation 0's, which an iDAO founded then
// has) made the whole bundle fail.
func auditRecords(a *idao.Artifact, ds []*idao.Dispute, committee func(string, uint64) (*idao.Committee, error)) ([][]byte, [][]byte) {
	keys := [][]byte{state.ArtifactKey(a.ID)}
	values := [][]byte{a.Encode()}
	if a.Settled() {
		if c, err := committee(a.Submit.IDAO, a.CertRotation); err == nil {
			keys, values = append(keys, state.CommitteeKey(c.IDAO, c.Rotation)), append(values, c.Encode())
		}
	}
	for _, d := range ds {
		keys, values = append(keys, state.DisputeKey(d.ID)), append(values, d.Encode())
	}
	return keys, values
}

func unchanged(t *smt.Tree, keys, values [][]byte) bool {
	for i, k := range keys {
		if vh, ok := t.Get(k); !ok || vh != smt.ValueHash(values[i]) {
			return false
		}
	}
	return true
}

func (n *Node) bundle(a *idao.Artifact, ds []*idao.Dispute, b *types.Block, qc *types.QC, tree *smt.Tree, keys, values [][]byte, from uint64) (*audit.Bundle, error) {
	out := &audit.Bundle{ChainID: n.chainID, Artifact: a.ID, Header: b.Header(), Commit: qc}
	if b.Epoch > from && b.Epoch-from > MaxBundleEpochs {
		return nil, fmt.Errorf("%w: the header is in epoch %d, %d epochs after from_epoch %d; fetch the epoch chain from GET /epochs first (at most %d in a bundle)",
			ErrTooManyEpochs, b.Epoch, b.Epoch-from, from, MaxBundleEpochs)
	}
	for e := from + 1; e <= b.Epoch && e > from; e++ {
		step, err := n.epochStep(e)
		if err != nil {
			return nil, err
		}
		out.Epochs = append(out.Epochs, step)
	}
	for i, k := range keys {
		out.Records = append(out.Records, audit.Record{Key: k, Value: values[i], Proof: tree.Prove(k)})
	}
	for _, h := range historyHeights(a, ds) {
		if h > b.State.Height {
			continue // after the proven state: not part of this bundle's history
		}
		evs, err := n.eventProofs(a.ID, h)
		if err != nil {
			return nil, err
		}
		if len(evs) == 0 {
			continue
		}
		k := state.EventsRootKey(h)
		v, err := n.machine.Raw(k)
		if err != nil {
			return nil, fmt.Errorf("events root of height %d: %w", h, err)
		}
		out.Records = append(out.Records, audit.Record{Key: k, Value: v, Proof: tree.Prove(k)})
		out.Events = append(out.Events, evs...)
	}
	return out, nil
}

func (n *Node) artifactDisputes(a *idao.Artifact) []*idao.Dispute {
	var out []*idao.Dispute
	for _, id := range a.Disputes {
		if d, err := n.machine.Dispute(id); err == nil {
			out = append(out, d)
		}
	}
	return out
}

// historyHeights are the heights of an artifact's steps, ascending and
// distinct.
func historyHeights(a *idao.Artifact, ds []*idao.Dispute) []uint64 {
	hs := []uint64{a.Height}
	if a.Settled() {
		hs = append(hs, a.AttestHeight)
	}
	for _, d := range ds {
		hs = append(hs, d.Opened)
		if d.Closed != 0 {
			hs = append(hs, d.Closed)
		}
	}
	slices.Sort(hs)
	return slices.Compact(hs)
}

// eventProofs proves the artifact's events at height h into its root.
func (n *Node) eventProofs(id types.Hash, h uint64) ([]audit.Event, error) {
	raw, err := n.machine.RawEvents(h)
	if err != nil {
		return nil, fmt.Errorf("events of height %d: %w", h, err)
	}
	leaves := make([]merkle.Hash, len(raw))
	for i, v := range raw {
		leaves[i] = merkle.LeafHash(v)
	}
	var out []audit.Event
	for i, v := range raw {
		e, err := state.DecodeEvent(v)
		if err != nil || e.Artifact != id {
			continue
		}
		p, err := merkle.Prove(leaves, uint64(i))
		if err != nil {
			return nil, err
		}
		out = append(out, audit.Event{Height: h, Index: uint64(i), Count: uint64(len(raw)), Data: v, Path: p.Path})
	}
	return out, nil
}

// epochStep is epoch e's record and the certificate of the change into it.
func (n *Node) epochStep(e uint64) (audit.EpochStep, error) {
	ep, err := n.machine.EpochAt(e)
	if err != nil {
		return audit.EpochStep{}, fmt.Errorf("epoch %d: %w", e, err)
	}
	c, err := n.machine.EpochCert(e)
	if err != nil {
		return audit.EpochStep{}, fmt.Errorf("certificate of epoch %d: %v: %w", e, err, ErrRetry)
	}
	return audit.EpochStep{Epoch: state.EncodeEpoch(ep), Cert: types.EncodeEpochCert(c)}, nil
}

// EpochSteps returns the steps of the epochs after from, in order, while
// their encodings stay within maxBytes (at least one) and at most limit:
// a client follows the validator sets from genesis a page at a time. A
// step whose certificate is still being signed ends the page.
func (n *Node) EpochSteps(from uint64, limit, maxBytes int) ([]audit.EpochStep, error) {
	cur := n.view().epoch.Number
	var out []audit.EpochStep
	size := 0
	for e := from + 1; e <= cur && e > from && len(out) < limit; e++ { // e > from: no wrap past 2^64-1
		step, err := n.epochStep(e)
		if errors.Is(err, ErrRetry) && len(out) > 0 {
			break
		}
		if err != nil {
			return nil, err
		}
		if size += len(step.Epoch) + len(step.Cert); len(out) > 0 && size > maxBytes {
			break
		}
		out = append(out, step)
	}
	return out, nil
}
