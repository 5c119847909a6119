package node

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// A chain that stops committing is said so, once a period while it lasts,
// and once when it commits again; a committing chain says nothing.
func TestStallWatchWarnsOncePerPeriod(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(slog.NewTextHandler(&out, nil))
	t0 := time.Unix(1000, 0)
	w := newStallWatch(10*time.Second, time.Minute, t0)
	attrs := func() []any { return []any{"round", 7} }
	lines := func(s string) int { return strings.Count(out.String(), s) }

	for s := 0; s < 10; s++ { // committing every second
		now := t0.Add(time.Duration(s) * time.Second)
		w.committed(now)
		w.check(now, log, attrs)
	}
	if out.Len() != 0 {
		t.Fatalf("a committing chain logged %q", out.String())
	}
	last := t0.Add(9 * time.Second)
	for s := 1; s <= 130; s++ { // two minutes and more with no commit
		w.check(last.Add(time.Duration(s)*time.Second), log, attrs)
	}
	if n := lines("no block committed"); n != 3 {
		t.Fatalf("%d stall warnings over 130 s (from 10 s, once a minute), want 3:\n%s", n, out.String())
	}
	if !strings.Contains(out.String(), "round=7") {
		t.Fatalf("the warning lacks where the node stands: %s", out.String())
	}
	resumed := last.Add(131 * time.Second)
	w.committed(resumed)
	w.check(resumed, log, attrs)
	w.check(resumed.Add(time.Second), log, attrs)
	if n := lines("committing again"); n != 1 {
		t.Fatalf("%d resume lines, want 1", n)
	}
}
