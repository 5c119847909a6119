package attestor

import (
	"fmt"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

func membersWith(stakes ...uint64) []staking.Member {
	set := make([]staking.Member, len(stakes))
	for i, s := range stakes {
		set[i] = staking.Member{Operator: staking.Address{byte(i + 1)}, NodeID: [32]byte{byte(i + 1)}, Power: s}
	}
	return set
}

func voteBy(dispute types.Hash, signer uint32) RulingVote {
	return RulingVote{Dispute: dispute, Epoch: 3, Signer: signer, ForChallenger: true, Verdict: true, Digest: types.Hash{7}, Sig: []byte{byte(signer)}}
}

// TestRulingTally: more than two thirds of the active set's stake, each
// signer counted once, and the designated aggregator (dispute id's first
// byte mod the set size) first, the others one Backup apart in set order.
func TestRulingTally(t *testing.T) {
	const backup = time.Second
	tests := []struct {
		name    string
		stakes  []uint64
		first   byte     // the dispute id's first byte
		signers []uint32 // in arrival order; repeats are duplicates
		me      int
		wait    time.Duration // since the threshold was reached
		due     bool
	}{
		{"3 of 4 equal, designated", []uint64{10, 10, 10, 10}, 0, []uint32{0, 1, 2}, 0, 0, true},
		{"2 of 4 equal is half", []uint64{10, 10, 10, 10}, 0, []uint32{0, 1}, 0, 0, false},
		{"duplicates count once", []uint64{10, 10, 10, 10}, 0, []uint32{0, 1, 1, 0}, 0, time.Hour, false},
		{"exactly two thirds is not more", []uint64{10, 10, 10}, 0, []uint32{0, 1}, 0, 0, false},
		{"one big validator", []uint64{70, 10, 10, 10}, 0, []uint32{0}, 0, 0, true},
		{"the rest without it", []uint64{70, 10, 10, 10}, 0, []uint32{1, 2, 3}, 1, time.Hour, false},
		{"signer outside the set is ignored", []uint64{10, 10, 10, 10}, 0, []uint32{0, 1, 9}, 0, 0, false},
		{"designated is id mod n", []uint64{10, 10, 10, 10}, 6, []uint32{0, 1, 2}, 2, 0, true},
		{"first backup waits one Backup", []uint64{10, 10, 10, 10}, 6, []uint32{0, 1, 2}, 3, backup - 1, false},
		{"first backup after one Backup", []uint64{10, 10, 10, 10}, 6, []uint32{0, 1, 2}, 3, backup, true},
		{"second backup wraps around", []uint64{10, 10, 10, 10}, 6, []uint32{0, 1, 2}, 0, 2*backup - 1, false},
		{"second backup after two", []uint64{10, 10, 10, 10}, 6, []uint32{0, 1, 2}, 0, 2 * backup, true},
		{"a non-signer may aggregate", []uint64{10, 10, 10, 10}, 3, []uint32{0, 1, 2}, 3, 0, true},
		{"not in the set", []uint64{10, 10, 10, 10}, 0, []uint32{0, 1, 2}, -1, time.Hour, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			set := membersWith(tc.stakes...)
			b := newRulingBook()
			id := types.Hash{tc.first}
			t0 := time.Unix(1000, 0)
			for _, s := range tc.signers {
				b.add(voteBy(id, s), t0)
			}
			k := voteBy(id, 0).key()
			// The first look sets the time the threshold was reached.
			sigs, _, ok := b.due(k, set, tc.me, backup, t0)
			if tc.wait > 0 {
				sigs, _, ok = b.due(k, set, tc.me, backup, t0.Add(tc.wait))
			}
			if ok != tc.due {
				t.Fatalf("due = %v, want %v", ok, tc.due)
			}
			if ok {
				if !setReached(set, sigs) {
					t.Fatalf("due with signatures %v that do not reach the threshold", sigs)
				}
				if _, _, again := b.due(k, set, tc.me, backup, t0.Add(tc.wait+time.Millisecond)); again {
					t.Fatal("due twice in a row: a ruling would be sent twice")
				}
				if _, _, again := b.due(k, set, tc.me, backup, t0.Add(tc.wait+resubmitAfter+time.Millisecond)); !again {
					t.Fatal("not due again after resubmitAfter")
				}
			}
		})
	}
}

func TestRulingTallyKeepsSidesApart(t *testing.T) {
	set := membersWith(10, 10, 10, 10)
	b := newRulingBook()
	id := types.Hash{1}
	now := time.Unix(1000, 0)
	bad := verify.Invalid("row 1: bad")
	forV := func(s uint32) RulingVote {
		return RulingVote{Dispute: id, Epoch: 3, Signer: s, ForChallenger: true, Digest: bad.Digest, Sig: []byte{1}, Reason: bad.Reason}
	}
	against := func(s uint32) RulingVote {
		return RulingVote{Dispute: id, Epoch: 3, Signer: s, Verdict: true, Digest: types.Hash{2}, Sig: []byte{1}}
	}
	b.add(forV(0), now)
	b.add(forV(1), now)
	b.add(against(3), now)
	for _, k := range []rulingKey{forV(0).key(), against(0).key()} {
		if _, _, ok := b.due(k, set, 0, 0, now); ok {
			t.Fatalf("a split vote is due: %+v", k)
		}
	}
	// Another epoch's votes are another tally.
	late := forV(2)
	late.Epoch = 4
	b.add(late, now)
	if _, _, ok := b.due(forV(0).key(), set, 0, 0, now); ok {
		t.Fatal("votes of two epochs were counted together")
	}
	b.add(forV(2), now)
	sigs, reason, ok := b.due(forV(0).key(), set, 0, 0, now)
	if !ok || len(sigs) != 3 || reason != bad.Reason {
		t.Fatalf("due = %v %d sigs reason %q", ok, len(sigs), reason)
	}
	// A signer has one choice per dispute and epoch: a tally of a faulty
	// signer's other choices would never pass two thirds, so never be
	// checked, and enough of them filled the book.
	if b.add(against(2), now) || b.add(against(0), now) {
		t.Fatal("a signer's second choice in one epoch was taken")
	}
	for i := range 100 {
		junk := forV(3)
		junk.Digest = types.HashOf(fmt.Appendf(nil, "junk %d", i))
		if b.add(junk, now) {
			t.Fatalf("junk choice %d of one signer was taken", i)
		}
	}
	// A bad signature is forgotten and the tally must pass again; the
	// signer's own (checked) vote failing bars it from the tally, so a
	// resent copy is not checked again.
	b.forget(forV(0).key(), 1, []byte{1})
	if _, _, ok := b.due(forV(0).key(), set, 0, 0, now.Add(time.Hour)); ok {
		t.Fatal("due after a signer was forgotten")
	}
	if b.votes != 4 || len(b.tallies) != 3 {
		t.Fatalf("book counts %d votes in %d tallies, want 4 in 3", b.votes, len(b.tallies))
	}
	if b.add(forV(1), now) {
		t.Fatal("a signer whose vote failed its check was taken again in the tally")
	}
}

func TestRulingBookBounds(t *testing.T) {
	b := newRulingBook()
	peer := p2p.NodeID{9}
	now := time.Unix(1000, 0)
	for i := 0; i < maxEarlyRulingsPerPeer; i++ {
		if !b.reserve(peer) {
			t.Fatalf("budget spent after %d", i)
		}
		v := voteBy(types.Hash{byte(i), byte(i >> 8)}, 1)
		v.early, v.from = true, peer
		if !b.add(v, now) {
			t.Fatalf("early vote %d refused", i)
		}
	}
	if b.reserve(peer) {
		t.Fatal("a peer holds more early votes than its budget")
	}
	// Another peer has its own budget; a duplicate gives its place back.
	other := p2p.NodeID{8}
	if !b.reserve(other) {
		t.Fatal("one peer's budget blocks another's")
	}
	dup := voteBy(types.Hash{0, 0}, 1)
	dup.early, dup.from = true, other
	if b.add(dup, now) || b.early[other] != 0 {
		t.Fatalf("a duplicate kept its place: %d", b.early[other])
	}
	// Open disputes of the current epoch stay; the others go after the
	// TTL, and give their places back.
	open := map[types.Hash]bool{{0, 0}: true}
	b.gc(open, 3, now.Add(earlyRulingTTL))
	if len(b.tallies) != maxEarlyRulingsPerPeer {
		t.Fatalf("gc before the TTL dropped tallies: %d left", len(b.tallies))
	}
	b.gc(open, 3, now.Add(earlyRulingTTL+time.Second))
	if len(b.tallies) != 1 || b.votes != 1 || b.early[peer] != 1 {
		t.Fatalf("after gc: %d tallies, %d votes, %d held", len(b.tallies), b.votes, b.early[peer])
	}
	// A past epoch's tallies go at once.
	b.gc(open, 4, now)
	if len(b.tallies) != 0 || b.votes != 0 || len(b.early) != 0 {
		t.Fatalf("after the epoch: %d tallies, %d votes, %v held", len(b.tallies), b.votes, b.early)
	}
	// The book holds at most maxRulingVotes.
	for i := 0; i < maxRulingVotes; i++ {
		b.add(voteBy(types.Hash{1}, uint32(i)), now)
	}
	if b.add(voteBy(types.Hash{2}, 0), now) || b.votes != maxRulingVotes {
		t.Fatalf("book over its bound: %d votes", b.votes)
	}
}
