package node

import (
	"bytes"
	"errors"
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

// A failing write that only a gauge showed is logged when it starts, once
// a minute while it lasts, and when it clears.
func TestFailWatchLogsStartRepeatAndRecovery(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(slog.NewTextHandler(&out, nil))
	w := failWatch{what: "index writes", every: time.Minute}
	t0 := time.Unix(1000, 0)
	fail := errors.New("disk full")
	w.check(t0, nil, log)
	for s := 0; s <= 90; s++ {
		w.check(t0.Add(time.Duration(s)*time.Second), fail, log)
	}
	w.check(t0.Add(91*time.Second), nil, log)
	w.check(t0.Add(92*time.Second), nil, log)
	if n := strings.Count(out.String(), "index writes failing"); n != 2 {
		t.Fatalf("%d failure lines over 90 s, want 2 (start, a minute later):\n%s", n, out.String())
	}
	if n := strings.Count(out.String(), "index writes recovered"); n != 1 {
		t.Fatalf("%d recovery lines, want 1", n)
	}
}
