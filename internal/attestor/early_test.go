package attestor

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/types"
)

// A vote taken before its artifact was committed here (its seat and
// sender unchecked) is displaced by a checked vote for the same seat: a
// peer sending junk for every seat first cannot lock out the members'
// votes. Two unchecked votes for a seat keep the first; a checked one
// stays.
func TestCheckedVoteDisplacesUnchecked(t *testing.T) {
	dao, err := idao.New(testChain, idao.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	key, err := bls.GenerateKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	a := New(Config{ChainID: testChain, Key: key, Chain: &fakeChain{dao: dao}, Log: slog.New(slog.DiscardHandler)})
	var squatter, other p2p.NodeID
	squatter[0], other[0] = 1, 2
	art := types.HashOf([]byte("artifact"))
	vote := func(sig byte, early bool, from p2p.NodeID) Vote {
		v := Vote{Artifact: art, Rotation: 1, Verdict: true, Seat: 0, Sig: []byte{sig}}
		if early {
			a.mu.Lock()
			a.early[from]++
			a.mu.Unlock()
			v.early, v.from = true, from
		}
		return v
	}
	sigAt := func() []byte {
		a.mu.Lock()
		defer a.mu.Unlock()
		return a.tallies[vote(0, false, p2p.NodeID{}).key()].sigs[0]
	}
	a.addVote(vote(0xde, true, squatter))
	a.addVote(vote(0xad, true, other))
	if !bytes.Equal(sigAt(), []byte{0xde}) {
		t.Fatalf("seat holds %x, want the first unchecked vote", sigAt())
	}
	a.addVote(vote(0x01, false, p2p.NodeID{}))
	if !bytes.Equal(sigAt(), []byte{0x01}) {
		t.Fatalf("seat holds %x after a checked vote, want it", sigAt())
	}
	a.mu.Lock()
	held := a.early[squatter] + a.early[other]
	a.mu.Unlock()
	if held != 0 {
		t.Fatalf("%d early votes still charged to their senders", held)
	}
	a.addVote(vote(0x02, false, p2p.NodeID{}))
	a.addVote(vote(0xbe, true, squatter))
	if !bytes.Equal(sigAt(), []byte{0x01}) {
		t.Fatalf("a checked vote was displaced: seat holds %x", sigAt())
	}
}
