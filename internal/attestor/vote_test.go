package attestor

import (
	"bytes"
	"fmt"
	"log/slog"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto/bls"
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

// A seat has one checked vote per subject and rotation, as an honest
// member signs. A faulty member voting its own seat for made-up digests
// opened a tally per digest; none reached the threshold, so none was ever
// checked or dropped, and once maxVotes were held every honest vote, for
// every artifact of every iDAO, was dropped.
func TestOneCheckedVotePerSeat(t *testing.T) {
	dao, err := idao.New(testChain, idao.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	k, _ := bls.GenerateKey(bytes.Repeat([]byte{7}, 32))
	a := New(Config{ChainID: testChain, Key: k, Chain: &fakeChain{dao: dao}, Log: slog.New(slog.DiscardHandler)})
	art := types.HashOf([]byte("pending artifact"))
	first := Vote{Artifact: art, Rotation: 1, Verdict: true, Digest: types.Hash{1}, Seat: 2, Sig: []byte{1}}
	a.addVote(first)
	for i := range 1000 {
		junk := first
		junk.Digest = types.HashOf(fmt.Appendf(nil, "junk %d", i))
		junk.Verdict = i%2 == 0
		a.addVote(junk) // what OnVote queues once the seat's owner is checked
	}
	a.mu.Lock()
	held, tallies := a.votes, len(a.tallies)
	a.mu.Unlock()
	if held != 1 || tallies != 1 {
		t.Fatalf("one seat's votes on one artifact: %d held in %d tallies, want its first alone", held, tallies)
	}
	// Its vote in the next rotation, and other seats', still count.
	next := first
	next.Rotation = 2
	other := first
	other.Seat = 1
	a.addVote(next)
	a.addVote(other)
	a.mu.Lock()
	held = a.votes
	a.mu.Unlock()
	if held != 3 {
		t.Fatalf("%d votes held, want 3", held)
	}
}
