package idao

import (
	"slices"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// certifyBatch signs a batch certificate with the given committee seats.
func (w *world) certifyBatch(k BatchKey, rotation uint64, entries []Entry, idx ...int) AttestBatch {
	w.t.Helper()
	c, _ := w.st.Committee(k.IDAO, rotation)
	ids, _ := w.st.Batch(k)
	_, root := BatchRoot(ids, entries)
	msg := BatchVoteBytes(testChain, k, rotation, len(ids), root)
	bm := types.NewBitmap(len(c.Seats))
	var sigs [][]byte
	for _, i := range idx {
		bm.Set(i)
		sigs = append(sigs, keyOf(c.Seats[i].Operator).Sign(msg))
	}
	agg, _ := (bls.Scheme{}).Aggregate(sigs)
	return AttestBatch{Key: k, Rotation: rotation, Entries: slices.Clone(entries), Signers: bm, Sig: agg}
}

func TestBatchCertificateSettlesEveryEntry(t *testing.T) {
	w := newWorld(t, 100, 100, 100)
	w.create("q", DefaultPolicy(), 0, 1, 2)
	w.height = 5
	for n := byte(1); n <= 3; n++ {
		if code := w.exec(op(99), KindSubmit, sampleSubmit("q", n).Encode()); code != 0 {
			t.Fatalf("submit: %s", code)
		}
	}
	k := BatchKey{IDAO: "q", Height: 5}
	ids, ok := w.st.Batch(k)
	if !ok || len(ids) != 3 {
		t.Fatalf("batch %v: %v", k, ids)
	}
	bad := verify.Invalid("row 2: bad")
	entries := []Entry{{Verdict: true, Digest: types.Hash{1}}, {Verdict: false, Digest: bad.Digest, Reason: bad.Reason}, {Verdict: true, Digest: types.Hash{3}}}

	short := w.certifyBatch(k, 0, entries, 0, 1, 2)
	short.Entries = short.Entries[:2]
	forged := w.certifyBatch(k, 0, entries, 0, 1, 2)
	forged.Entries[2].Digest = types.Hash{4} // not what was signed
	lying := w.certifyBatch(k, 0, entries, 0, 1, 2)
	lying.Entries[1].Reason = "row 3: bad"
	for name, tc := range map[string]struct {
		at   AttestBatch
		want Code
	}{
		"too few signers":   {w.certifyBatch(k, 0, entries, 0, 1), BadCertificate},
		"missing entry":     {short, BadCertificate},
		"forged entry":      {forged, BadCertificate},
		"reason mismatched": {lying, BadCertificate},
		"unknown batch":     {w.certifyBatch(k, 0, entries, 0, 1, 2), 0},
	} {
		if name == "unknown batch" {
			tc.at.Key.Height = 6
			tc.want = UnknownArtifact
		}
		if code := w.exec(op(9), KindAttestBatch, tc.at.Encode()); code != tc.want {
			t.Fatalf("%s: code %s, want %s", name, code, tc.want)
		}
	}
	// Entry 1 is settled alone first; the batch settles the other two.
	single := w.certify(mustArtifact(t, w, ids[1]), 0, false, bad.Digest, 0, 1, 2)
	single.Reason = bad.Reason
	if code := w.exec(op(9), KindAttest, single.Encode()); code != 0 {
		t.Fatalf("single: %s", code)
	}
	good := w.certifyBatch(k, 0, entries, 0, 1, 2)
	if code := w.exec(op(9), KindAttestBatch, good.Encode()); code != 0 {
		t.Fatalf("batch: %s", code)
	}
	for i, id := range ids {
		a := mustArtifact(t, w, id)
		if a.Status != Attested || a.Verdict != entries[i].Verdict || a.Digest != entries[i].Digest {
			t.Fatalf("entry %d: %+v", i, a)
		}
		if i == 1 {
			if a.Batched {
				t.Fatal("the artifact settled alone was overwritten by the batch")
			}
			continue
		}
		// Each batched artifact carries a self-contained certificate: its
		// entry's path to the signed root.
		path := make([]merkle.Hash, len(a.BatchPath))
		for j, h := range a.BatchPath {
			path[j] = merkle.Hash(h)
		}
		p := merkle.Proof{Index: uint64(a.BatchIndex), Count: uint64(a.BatchCount), Path: path}
		if err := p.Verify(merkle.Hash(a.BatchRoot), BatchLeaf(id, entries[i])); err != nil {
			t.Fatalf("entry %d path: %v", i, err)
		}
	}
	if _, ok := w.st.Batch(k); ok || len(w.st.Pending()) != 0 {
		t.Fatal("settled batch still pending")
	}
	if code := w.exec(op(9), KindAttestBatch, good.Encode()); code != UnknownArtifact {
		t.Fatalf("replayed batch certificate: %s", code)
	}
}

func mustArtifact(t *testing.T, w *world, id types.Hash) *Artifact {
	t.Helper()
	a, ok := w.rec.Artifact(id)
	if !ok {
		t.Fatalf("no artifact %x", id)
	}
	return a
}
