package state_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/types"
)

// Disputes lists the stored records in id order from a cursor, with a
// filter and a limit, the same before and after a restart.
func TestDisputesLister(t *testing.T) {
	c := newDisputeChain(t)
	id, _ := c.attested()
	c.block(send(3, idao.KindChallenge, idao.Challenge{Artifact: id, Claim: idao.ClaimWrongDigest, Bond: 500}.Encode()),
		send(3, idao.KindChallenge, idao.Challenge{Artifact: id, Claim: idao.ClaimUnavailable, Bond: 500}.Encode()))
	want := []types.Hash{idao.DisputeID(id, idao.ClaimWrongDigest), idao.DisputeID(id, idao.ClaimUnavailable)}
	slices.SortFunc(want, func(a, b types.Hash) int { return bytes.Compare(a[:], b[:]) })

	ids := func(after types.Hash, limit int, keep func(*idao.Dispute) bool) []types.Hash {
		t.Helper()
		ds, err := c.m.Disputes(after, limit, keep)
		if err != nil {
			t.Fatal(err)
		}
		var out []types.Hash
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
	for _, restarted := range []bool{false, true} {
		if restarted {
			c.reopen()
		}
		if got := ids(types.Hash{}, 10, nil); !slices.Equal(got, want) {
			t.Fatalf("restarted %v: all %x, want %x", restarted, got, want)
		}
		if got := ids(types.Hash{}, 1, nil); !slices.Equal(got, want[:1]) {
			t.Fatalf("limit 1: %x", got)
		}
		if got := ids(want[0], 10, nil); !slices.Equal(got, want[1:]) {
			t.Fatalf("after the first: %x", got)
		}
		if got := ids(want[1], 10, nil); len(got) != 0 {
			t.Fatalf("after the last: %x", got)
		}
		unavailable := func(d *idao.Dispute) bool { return d.Claim == idao.ClaimUnavailable }
		if got := ids(types.Hash{}, 10, unavailable); !slices.Equal(got, []types.Hash{idao.DisputeID(id, idao.ClaimUnavailable)}) {
			t.Fatalf("filtered: %x", got)
		}
	}
	// An artifact record is not a dispute, nor the reverse.
	if _, err := c.m.Dispute(id); err == nil {
		t.Fatal("an artifact id reads as a dispute")
	}
}

// ScanEvents gives the events Events gives height by height, in order,
// from any cursor.
func TestScanEventsMatchesEvents(t *testing.T) {
	c := newDisputeChain(t)
	id, _ := c.attested()
	c.block(send(3, idao.KindChallenge, idao.Challenge{Artifact: id, Claim: idao.ClaimWrongDigest, Bond: 500}.Encode()),
		send(3, idao.KindChallenge, idao.Challenge{Artifact: id, Claim: idao.ClaimUnavailable, Bond: 500}.Encode()))
	c.block()
	type at struct {
		h uint64
		i uint32
		e idao.Event
	}
	var want []at
	for h := uint64(0); h <= c.height; h++ {
		evs, err := c.m.Events(h)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range evs {
			want = append(want, at{h, uint32(i), e})
		}
	}
	if len(want) < 4 {
		t.Fatalf("only %d events: the test needs several heights with events", len(want))
	}
	for k, from := range want {
		var got []at
		err := c.m.ScanEvents(from.h, from.i, func(h uint64, i uint32, e idao.Event) bool {
			got = append(got, at{h, i, e})
			return true
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want[k:]) {
			t.Fatalf("from (%d, %d): %d events, want %d", from.h, from.i, len(got), len(want)-k)
		}
	}
	var n int
	c.m.ScanEvents(c.height+1, 0, func(uint64, uint32, idao.Event) bool { n++; return true })
	if n != 0 {
		t.Fatalf("%d events past the last height", n)
	}
}
