package consensus_test

import (
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

// timedOutRounds lists the rounds in [lo, hi] that validator i sent a
// timeout for.
func timedOutRounds(h *harness, i int, lo, hi uint64) map[uint64]bool {
	out := map[uint64]bool{}
	for _, e := range h.sent(allOf(from(i), ofKind(types.KindTimeout), inRounds(lo, hi))) {
		out[e.msg.(*types.Timeout).Round] = true
	}
	return out
}

// A validator that stops (crashed, or cut off) keeps its share of the
// stake-weighted draw until the epoch jails it, and each round it leads is
// a timeout. Once ten committed blocks show no sign of it, the draw weighs
// it at a 64th of its stake, and the live validators stop timing out.
func TestCrashedValidatorStopsLeading(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 1)
	h.run("first commits", 10, h.committedAtLeast(3))
	const dead = 3
	live := h.othersThan(dead)
	h.drop(isolated(dead))
	n := h.nodes[live[0]]
	start, r0 := n.tip().Height, n.core.Round()
	h.run("commits with one validator down", 400, h.committedAtLeast(start+40, live...))
	r1 := n.core.Round()
	h.run("more commits", 400, h.committedAtLeast(start+120, live...))
	r2 := n.core.Round()

	for _, i := range live {
		if got := h.core(i).Demoted(); got != 1 {
			t.Errorf("validator %d demotes %d validators, want 1 (the stopped one)", i, got)
		}
		if got := h.core(i).Stats().Demotions; got == 0 {
			t.Errorf("validator %d counted no demotion", i)
		}
		for r := r1; r <= r2+20; r++ {
			if a, b := h.core(i).Leader(r), h.core(live[0]).Leader(r); a != b {
				t.Fatalf("round %d: validator %d draws leader %d, validator %d draws %d", r, i, a, live[0], b)
			}
		}
	}
	early, late := timedOutRounds(h, live[0], r0, r1), timedOutRounds(h, live[0], r1+1, r2)
	t.Logf("rounds %d-%d: %d timed out; rounds %d-%d (80 blocks): %d timed out", r0, r1, len(early), r1+1, r2, len(late))
	if len(late) > 3 {
		t.Errorf("%d of the rounds %d-%d timed out after the stopped validator was demoted, want at most 3", len(late), r1+1, r2)
	}
	led := 0
	for r := r1 + 1; r <= r2; r++ {
		if n.core.Leader(r) == dead {
			led++
		}
	}
	if led > 3 {
		t.Errorf("the stopped validator led %d of rounds %d-%d", led, r1+1, r2)
	}
	for _, i := range live {
		checkTwoChain(t, h, h.nodes[i])
	}

	// A validator restarted from its store replays the recent committed
	// blocks and draws the same leaders as the others at once.
	h.restart(live[0])
	for r := r2; r <= r2+200; r++ {
		if a, b := h.core(live[0]).Leader(r), h.core(live[1]).Leader(r); a != b {
			t.Fatalf("round %d: restarted validator draws leader %d, the others %d", r, a, b)
		}
	}

	// Back on the network, it signs QCs again and regains its full weight.
	h.filters = nil
	h.restart(dead)
	// Here votes arrive in index order, so its vote is always the fourth
	// and never in a QC: it shows itself alive by leading a round, which it
	// still does at its 64th.
	h.run("the stopped validator back at full weight", 2000, func() bool {
		for _, i := range h.all() {
			if h.core(i).Demoted() != 0 {
				return false
			}
		}
		return true
	})
	t.Logf("back at full weight in round %d", n.core.Round())
}
