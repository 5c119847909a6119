package rpc

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/types"
)

// Scan budget of one GET /events: a sparse filter over a long chain
// answers in pages instead of reading the whole chain in one request.
const (
	maxEventHeights = 10_000 // heights one request covers
	maxEventScan    = 10_000 // events one request reads, matching or not
	maxEventKind    = 64     // an event type's length (see state.decodeEvent)
)

// Why a page of events ended.
const (
	stopLimit  = "limit"  // the page is full
	stopBudget = "budget" // the scan budget ran out; continue from next
	stopTip    = "tip"    // every committed height was read; poll from next
)

// EventCursor is a position in the event log: an event's height and its
// index in that height.
type EventCursor struct {
	Height uint64 `json:"height"`
	Index  uint32 `json:"index"`
}

// EventsView is GET /events. Next is where the scan stopped: the first
// event not read, from which the next request continues (from=height,
// index=index). Stopped says why: limit, budget or tip.
type EventsView struct {
	Events  []EventView `json:"events"`
	Next    EventCursor `json:"next"`
	Stopped string      `json:"stopped"`
	Tip     uint64      `json:"tip"` // the committed height the scan was bounded by
}

// eventQuery is what GET /events asks for.
type eventQuery struct {
	from     EventCursor
	kind     string      // "" for any; "x." for every type starting so; else exact
	artifact *types.Hash // nil for any
	limit    int
}

func (q eventQuery) match(e idao.Event) bool {
	if q.artifact != nil && e.Artifact != *q.artifact {
		return false
	}
	if strings.HasSuffix(q.kind, ".") {
		return strings.HasPrefix(e.Type, q.kind)
	}
	return q.kind == "" || e.Type == q.kind
}

// eventScanner is node.Node.ScanEvents.
type eventScanner func(h uint64, i uint32, fn func(h uint64, i uint32, e idao.Event) bool) error

// pageEvents reads one page of q from the committed heights up to tip:
// at most q.limit matches, maxEventScan events read and maxEventHeights
// heights covered.
func pageEvents(scan eventScanner, q eventQuery, tip uint64) (EventsView, error) {
	out := EventsView{Events: []EventView{}, Next: q.from, Stopped: stopTip, Tip: tip}
	if q.from.Height > tip {
		return out, nil
	}
	last := tip
	if span := tip - q.from.Height; span >= maxEventHeights {
		last, out.Stopped = q.from.Height+maxEventHeights-1, stopBudget
	}
	// Unless the scan stops early, it covered every height up to last.
	out.Next = EventCursor{Height: last + 1}
	read := 0
	err := scan(q.from.Height, q.from.Index, func(h uint64, i uint32, e idao.Event) bool {
		if h > last {
			return false
		}
		if read == maxEventScan {
			out.Next, out.Stopped = EventCursor{Height: h, Index: i}, stopBudget
			return false
		}
		read++
		if q.match(e) {
			out.Events = append(out.Events, eventView(h, int(i), e))
		}
		if len(out.Events) == q.limit {
			out.Next, out.Stopped = EventCursor{Height: h, Index: i + 1}, stopLimit
			if i == 1<<32-1 {
				out.Next = EventCursor{Height: h + 1}
			}
			return false
		}
		return true
	})
	return out, err
}

func eventView(h uint64, i int, e idao.Event) EventView {
	v := EventView{Height: h, Index: i, Type: e.Type, IDAO: e.IDAO, Detail: e.Detail}
	if e.Artifact != (types.Hash{}) {
		v.Artifact = hex.EncodeToString(e.Artifact[:])
	}
	return v
}

// events serves GET /events?from=H&index=I&kind=K&artifact=ID&limit=N:
// the events of committed heights from (H, I) on, in order; from defaults
// to height 1, index to 0. A from beyond the tip is an empty page. An
// artifact filter needs no artifact record: ids are known before
// submission, so a follower may watch one that is not on-chain yet.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	qs := r.URL.Query()
	q := eventQuery{from: EventCursor{Height: 1}, kind: qs.Get("kind")}
	var ok bool
	if q.limit, ok = queryLimit(w, qs); !ok {
		return
	}
	if q.artifact, ok = queryHash(w, qs, "artifact", "an artifact id"); !ok {
		return
	}
	if f := qs.Get("from"); f != "" {
		h, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_from", fmt.Sprintf("from %q is not a non-negative integer height", f))
			return
		}
		q.from.Height = h
	}
	if ix := qs.Get("index"); ix != "" {
		i, err := strconv.ParseUint(ix, 10, 32)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_index", fmt.Sprintf("index %q is not an event index (0..%d)", ix, uint32(1<<32-1)))
			return
		}
		q.from.Index = uint32(i)
	}
	if len(q.kind) > maxEventKind || q.kind == "." {
		writeError(w, http.StatusBadRequest, "bad_kind", fmt.Sprintf("kind must be an event type such as dispute.opened, or a prefix ending in \".\" such as dispute., of at most %d bytes", maxEventKind))
		return
	}
	page, err := pageEvents(s.n.ScanEvents, q, s.n.Status().Height)
	if !s.ok(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, page)
}
