package rpc

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/types"
)

// eventLog is an in-memory event log in (height, index) order; scan is
// what node.Node.ScanEvents does over the store, and counts the events it
// hands out.
type eventLog struct {
	at    []EventCursor
	evs   []idao.Event
	reads int
}

func (l *eventLog) add(h uint64, typ string, artifact types.Hash) {
	var i uint32
	if n := len(l.at); n > 0 && l.at[n-1].Height == h {
		i = l.at[n-1].Index + 1
	}
	l.at = append(l.at, EventCursor{Height: h, Index: i})
	l.evs = append(l.evs, idao.Event{Type: typ, IDAO: "q", Artifact: artifact, Detail: typ})
}

func (l *eventLog) scan(h uint64, i uint32, fn func(uint64, uint32, idao.Event) bool) error {
	start, _ := slices.BinarySearchFunc(l.at, EventCursor{Height: h, Index: i}, cmpCursor)
	for k := start; k < len(l.at); k++ {
		l.reads++
		if !fn(l.at[k].Height, l.at[k].Index, l.evs[k]) {
			return nil
		}
	}
	return nil
}

// naive is every event up to tip that q matches.
func (l *eventLog) naive(q eventQuery, tip uint64) []EventView {
	out := []EventView{}
	for k, c := range l.at {
		if c.Height <= tip && q.match(l.evs[k]) {
			out = append(out, eventView(c.Height, int(c.Index), l.evs[k]))
		}
	}
	return out
}

// Following next from height 1 until the page says tip gives exactly the
// naive filter's events, in order, whatever the filter and page size; no
// page covers more than the height budget or reads more than the scan
// budget (plus the one event that tells it to stop).
func TestPageEventsFollowsToTheTip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 42))
	var l eventLog
	types_ := []string{"artifact.submitted", "artifact.attested", "dispute.opened", "dispute.ruled", "idao.rotated"}
	arts := []types.Hash{{1}, {2}, {3}}
	for h := uint64(1); h <= 40_000; h++ {
		if rng.IntN(5) != 0 { // most heights have no event
			continue
		}
		for range rng.IntN(4) + 1 {
			l.add(h, types_[rng.IntN(len(types_))], arts[rng.IntN(len(arts))])
		}
	}
	for h := range uint64(3) { // one dense height, over the scan budget on its own
		for range maxEventScan + 500 {
			l.add(40_001+h, "artifact.submitted", arts[0])
		}
	}
	const tip = 40_002
	for _, tc := range []struct {
		name string
		q    eventQuery
	}{
		{"everything", eventQuery{limit: 1000}},
		{"exact kind", eventQuery{kind: "dispute.ruled", limit: 100}},
		{"kind prefix", eventQuery{kind: "dispute.", limit: 7}},
		{"artifact", eventQuery{artifact: &arts[1], limit: 500}},
		{"kind and artifact", eventQuery{kind: "artifact.", artifact: &arts[2], limit: 1}},
		{"no match", eventQuery{kind: "nothing.", limit: 1000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.from = EventCursor{Height: 1}
			var got []EventView
			for pages := 0; ; pages++ {
				if pages > 10_000 {
					t.Fatal("paging does not end")
				}
				l.reads = 0
				p, err := pageEvents(l.scan, q, tip)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Events) > q.limit || l.reads > maxEventScan+1 {
					t.Fatalf("page from %+v: %d events, %d read", q.from, len(p.Events), l.reads)
				}
				for _, e := range p.Events {
					if e.Height >= q.from.Height+maxEventHeights {
						t.Fatalf("page from %+v reached height %d", q.from, e.Height)
					}
				}
				if cmpCursor(p.Next, q.from) <= 0 && p.Stopped != stopTip {
					t.Fatalf("page from %+v did not advance: next %+v (%s)", q.from, p.Next, p.Stopped)
				}
				got = append(got, p.Events...)
				if p.Stopped == stopTip {
					if p.Next != (EventCursor{Height: tip + 1}) {
						t.Fatalf("caught up at %+v, want height %d", p.Next, tip+1)
					}
					break
				}
				q.from = p.Next
			}
			want := l.naive(q, tip)
			if !slices.Equal(got, want) {
				t.Fatalf("followed %d events, the naive filter has %d", len(got), len(want))
			}
		})
	}
}

func cmpCursor(a, b EventCursor) int {
	if c := cmp.Compare(a.Height, b.Height); c != 0 {
		return c
	}
	return cmp.Compare(a.Index, b.Index)
}

// Where a page stops and why.
func TestPageEventsStops(t *testing.T) {
	var l eventLog
	l.add(5, "dispute.opened", types.Hash{1})
	l.add(5, "dispute.ruled", types.Hash{1})
	l.add(9, "dispute.opened", types.Hash{2})
	l.add(20_000, "dispute.expired", types.Hash{2})
	l.add(30_001, "artifact.submitted", types.Hash{3}) // past every tip below: a commit not yet announced
	tests := []struct {
		name     string
		q        eventQuery
		tip      uint64
		heights  []uint64
		next     EventCursor
		stopped  string
		nextRead string // what the next page starts with, "" for nothing
	}{
		{"limit mid-height", eventQuery{from: EventCursor{Height: 1}, limit: 1}, 30_000, []uint64{5}, EventCursor{5, 1}, stopLimit, "dispute.ruled"},
		{"from an index", eventQuery{from: EventCursor{Height: 5, Index: 1}, limit: 1}, 30_000, []uint64{5}, EventCursor{5, 2}, stopLimit, "dispute.opened"},
		{"height budget", eventQuery{from: EventCursor{Height: 1}, limit: 100}, 30_000, []uint64{5, 5, 9}, EventCursor{Height: 1 + maxEventHeights}, stopBudget, "dispute.expired"},
		{"tip", eventQuery{from: EventCursor{Height: 15_000}, limit: 100}, 24_000, []uint64{20_000}, EventCursor{Height: 24_001}, stopTip, "artifact.submitted"},
		{"filtered to the tip", eventQuery{from: EventCursor{Height: 1}, kind: "dispute.opened", limit: 100}, 9_000, []uint64{5, 9}, EventCursor{Height: 9_001}, stopTip, "dispute.expired"},
		{"from past the tip", eventQuery{from: EventCursor{Height: 40_000, Index: 3}, limit: 100}, 30_000, nil, EventCursor{40_000, 3}, stopTip, ""},
		{"from the tip", eventQuery{from: EventCursor{Height: 30_000}, limit: 100}, 30_000, nil, EventCursor{Height: 30_001}, stopTip, "artifact.submitted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := pageEvents(l.scan, tc.q, tc.tip)
			if err != nil {
				t.Fatal(err)
			}
			var hs []uint64
			for _, e := range p.Events {
				hs = append(hs, e.Height)
			}
			if !slices.Equal(hs, tc.heights) || p.Next != tc.next || p.Stopped != tc.stopped || p.Tip != tc.tip {
				t.Fatalf("heights %v next %+v stopped %s tip %d; want %v %+v %s %d", hs, p.Next, p.Stopped, p.Tip, tc.heights, tc.next, tc.stopped, tc.tip)
			}
			var first string
			l.scan(p.Next.Height, p.Next.Index, func(_ uint64, _ uint32, e idao.Event) bool { first = e.Type; return false })
			if first != tc.nextRead {
				t.Fatalf("the next page starts with %q, want %q", first, tc.nextRead)
			}
		})
	}
}

// A height with more events than the scan budget is read in pieces: the
// cursor stops inside it.
func TestPageEventsBudgetInsideAHeight(t *testing.T) {
	var l eventLog
	for range maxEventScan + 10 {
		l.add(3, "artifact.submitted", types.Hash{1})
	}
	l.add(3, "dispute.opened", types.Hash{1})
	q := eventQuery{from: EventCursor{Height: 1}, kind: "dispute.", limit: 10}
	p, err := pageEvents(l.scan, q, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Events) != 0 || p.Next != (EventCursor{3, maxEventScan}) || p.Stopped != stopBudget {
		t.Fatalf("first page: %d events, next %+v, %s", len(p.Events), p.Next, p.Stopped)
	}
	q.from = p.Next
	p, _ = pageEvents(l.scan, q, 10)
	if len(p.Events) != 1 || p.Events[0].Index != maxEventScan+10 || p.Stopped != stopTip {
		t.Fatalf("second page: %+v, %s", p.Events, p.Stopped)
	}
}

// Final is what the brief says a client may rely on: the verdict will not
// change any more.
func TestArtifactFinal(t *testing.T) {
	tests := []struct {
		status idao.Status
		tip    uint64
		want   bool
	}{
		{idao.Pending, 1000, false},
		{idao.Attested, 99, false},
		{idao.Attested, 100, false}, // the window's last height may still carry a challenge
		{idao.Attested, 101, true},
		{idao.Disputed, 1000, false}, // a dispute is open, even past the window
		{idao.Overturned, 50, true},  // an overturned verdict cannot be challenged
	}
	for _, tc := range tests {
		a := &idao.Artifact{Status: tc.status, ChallengeEnd: 100}
		if got := final(a, tc.tip); got != tc.want {
			t.Errorf("%s at tip %d: final %v, want %v", tc.status, tc.tip, got, tc.want)
		}
		v := artifactView(a, tc.tip)
		if v.Status != tc.status.String() || (v.Verdict != "") != a.Settled() || v.Disputes == nil {
			t.Errorf("%s: view status %q verdict %q disputes %v", tc.status, v.Status, v.Verdict, v.Disputes)
		}
	}
}
