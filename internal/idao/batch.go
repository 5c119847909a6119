package idao

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/types"
)

// A batch is the artifacts one block submitted to one iDAO, in order, cut
// into parts of at most MaxBatch. Its composition is chain data, so every
// member knows it without talking: each member verifies every artifact of
// the batch and signs one message over the Merkle root of all their
// verdicts. One signature per member and one certificate per batch, instead
// of one per artifact, is what lets committees keep up with hundreds of
// artifacts a second; each artifact's record still carries a certificate
// of its own: the batch's aggregate signature and its entry's Merkle path.
// If members disagree on any entry the batch gathers no quorum, and they
// fall back to voting on each artifact alone.
const MaxBatch = 256

// BatchKey names one batch.
type BatchKey struct {
	IDAO   string
	Height uint64
	Part   uint32
}

// Entry is one artifact's verdict inside a batch certificate.
type Entry struct {
	Verdict bool
	Digest  types.Hash
	Reason  string // for an invalid verdict; hashes to Digest
}

// AttestBatch anchors a certificate over a whole batch.
type AttestBatch struct {
	Key      BatchKey
	Rotation uint64
	Entries  []Entry // one per artifact of the batch, in batch order
	Signers  types.Bitmap
	Sig      []byte
}

// KindAttestBatch carries an AttestBatch.
const KindAttestBatch uint16 = 16

// BatchLeaf is the Merkle leaf of one entry.
func BatchLeaf(artifact types.Hash, e Entry) merkle.Hash {
	b := make([]byte, 0, 96)
	b = append(b, "lazchain/idao/batch-entry/v1\x00"...)
	b = append(b, artifact[:]...)
	if e.Verdict {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = append(b, e.Digest[:]...)
	return merkle.LeafHash(b)
}

// BatchRoot returns the leaves and root over a batch's entries.
func BatchRoot(ids []types.Hash, entries []Entry) ([]merkle.Hash, merkle.Hash) {
	leaves := make([]merkle.Hash, len(ids))
	for i, id := range ids {
		leaves[i] = BatchLeaf(id, entries[i])
	}
	return leaves, merkle.Root(leaves)
}

// BatchVoteBytes is what a member signs for a batch. It names the entry
// count because a Merkle root alone does not fix it.
func BatchVoteBytes(chainID string, k BatchKey, rotation uint64, count int, root merkle.Hash) []byte {
	b := make([]byte, 0, 160)
	b = append(b, "lazchain/idao/batch-vote/v1\x00"...)
	b = append(b, chainID...)
	b = append(b, 0)
	b = append(b, k.IDAO...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint64(b, k.Height)
	b = binary.BigEndian.AppendUint32(b, k.Part)
	b = binary.BigEndian.AppendUint64(b, rotation)
	b = binary.BigEndian.AppendUint32(b, uint32(count))
	return append(b, root[:]...)
}

// BatchDigest names a batch vote's content for tallies.
func BatchDigest(root merkle.Hash, count int) types.Hash {
	return sha256.Sum256(binary.BigEndian.AppendUint32(root[:], uint32(count)))
}

func (a AttestBatch) Encode() []byte {
	w := codec.NewWriter(128 + 80*len(a.Entries))
	w.U8(bodyVersion)
	w.VarBytes([]byte(a.Key.IDAO))
	w.U64(a.Key.Height)
	w.U32(a.Key.Part)
	w.U64(a.Rotation)
	w.U32(uint32(len(a.Entries)))
	for _, e := range a.Entries {
		w.Bool(e.Verdict)
		w.Fixed(e.Digest[:])
		w.VarBytes([]byte(e.Reason))
	}
	w.VarBytes(a.Signers)
	w.VarBytes(a.Sig)
	return w.Bytes()
}

func DecodeAttestBatch(b []byte) (AttestBatch, error) {
	r := codec.NewReader(b)
	r.Version(bodyVersion)
	a := AttestBatch{Key: BatchKey{IDAO: string(r.VarBytes(MaxNameLen)), Height: r.U64(), Part: r.U32()}, Rotation: r.U64()}
	n := r.Count(MaxBatch, 37)
	for i := 0; i < n && r.Err() == nil; i++ {
		a.Entries = append(a.Entries, Entry{Verdict: r.Bool(), Digest: hash(r), Reason: string(r.VarBytes(MaxText))})
	}
	a.Signers = types.Bitmap(clone(r.VarBytes((MaxCommittee + 7) / 8)))
	a.Sig = clone(r.VarBytes(maxSigSize))
	return a, finish(r, "attest-batch")
}

// Batch returns the ids of a pending batch.
func (s *State) Batch(k BatchKey) ([]types.Hash, bool) {
	ids, ok := s.batches[k]
	return ids, ok
}

// Batches returns the pending batches' keys, in a stable order.
func (s *State) Batches() []BatchKey {
	out := make([]BatchKey, 0, len(s.batches))
	for k := range s.batches {
		out = append(out, k)
	}
	sortKeys(out)
	return out
}

func sortKeys(ks []BatchKey) {
	slices.SortFunc(ks, func(a, b BatchKey) int {
		if c := cmp.Compare(a.Height, b.Height); c != 0 {
			return c
		}
		if c := cmp.Compare(a.IDAO, b.IDAO); c != 0 {
			return c
		}
		return cmp.Compare(a.Part, b.Part)
	})
}

// addToBatch places a new artifact in the current block's batch.
func (s *State) addToBatch(name string, height uint64, id types.Hash) BatchKey {
	k := BatchKey{IDAO: name, Height: height}
	for len(s.batches[k]) >= MaxBatch {
		k.Part++
	}
	s.batches[k] = append(s.batches[k], id)
	return k
}

// settleBatch drops a batch once none of its artifacts is pending.
func (s *State) settleBatch(k BatchKey) {
	for _, id := range s.batches[k] {
		if _, ok := s.pending[id]; ok {
			return
		}
	}
	delete(s.batches, k)
}

func (k BatchKey) String() string { return fmt.Sprintf("%s@%d/%d", k.IDAO, k.Height, k.Part) }
