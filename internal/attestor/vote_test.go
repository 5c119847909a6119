package attestor

import (
	"bytes"
	"testing"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/types"
)

func TestVoteEncodingRoundTrips(t *testing.T) {
	k := idao.BatchKey{IDAO: "datasets", Height: 42, Part: 1}
	for name, v := range map[string]Vote{
		"single valid":   {Artifact: types.Hash{1}, Rotation: 3, Verdict: true, Digest: types.Hash{2}, Seat: 2, Sig: bytes.Repeat([]byte{7}, types.MaxSignatureSize)},
		"single invalid": {Artifact: types.Hash{1}, Rotation: 3, Digest: types.Hash{2}, Seat: 0, Sig: []byte{1}, Reason: "row 3: bad"},
		"batch":          {Batch: &k, Rotation: 9, Verdict: true, Digest: types.Hash{5}, Count: 17, Seat: 1, Sig: []byte{9, 9}},
	} {
		t.Run(name, func(t *testing.T) {
			enc := v.Encode()
			got, err := DecodeVote(enc)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Encode(), enc) || got.key() != v.key() {
				t.Fatalf("round trip changed the vote: %+v vs %+v", got, v)
			}
			for i := range enc {
				if _, err := DecodeVote(enc[:i]); err == nil {
					t.Fatalf("truncated at %d decodes", i)
				}
			}
		})
	}
	// A batch's tally subject never collides with an artifact id, and two
	// batches of one block differ.
	if batchID(k) == batchID(idao.BatchKey{IDAO: "datasets", Height: 42, Part: 2}) {
		t.Fatal("two parts share a subject")
	}
	bad := Vote{Batch: &k, Count: 0, Sig: []byte{1}}
	if _, err := DecodeVote(bad.Encode()); err == nil {
		t.Fatal("a batch vote over 0 entries decodes")
	}
}

func FuzzDecodeVote(f *testing.F) {
	k := idao.BatchKey{IDAO: "x", Height: 1}
	f.Add(Vote{Artifact: types.Hash{1}, Sig: []byte{1}}.Encode())
	f.Add(Vote{Batch: &k, Count: 3, Sig: []byte{1}}.Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := DecodeVote(b)
		if err != nil {
			return
		}
		if !bytes.Equal(v.Encode(), b) {
			t.Fatalf("decoded vote re-encodes differently")
		}
	})
}
