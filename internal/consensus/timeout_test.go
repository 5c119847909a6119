package consensus_test

import (
	"sync/atomic"
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/types"
)

// Scenario 3a: a silent leader costs rounds, not liveness. Rounds advance on
// a TC when no QC comes; a proposal after a timed-out round carries that
// round's TC and extends a QC at least as high as any in it; commits resume
// with the next two-chain.
func TestSilentLeaderIsTimedOut(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 1)
	// The leader of r also collects the votes of r-1, so silencing it costs
	// rounds r-1 and r. The leaders of r+1 and r+2 must be live for the
	// round after to certify at once.
	r := h.roundWhere(4, func(r uint64) bool {
		l := h.leader(r)
		return h.leader(r-1) != l && h.leader(r+1) != l && h.leader(r+2) != l
	})
	silent := h.leader(r)
	live := h.othersThan(silent)
	h.pauseAt(r - 1)
	before := h.nodes[live[0]].tip().Height
	h.drop(isolated(silent))

	// Round r-1 gets no QC: the live three time out, broadcast, and their
	// three timeouts (a quorum of four) form a TC that moves them to round r.
	h.fireTimers(live...)
	h.pump()
	for _, i := range live {
		n := h.nodes[i]
		if got := len(h.sent(allOf(from(i), ofKind(types.KindTimeout), inRounds(r-1, r-1)))); got != 3 {
			t.Errorf("node %d sent %d timeouts for round %d, want one to each of 3 peers", i, got, r-1)
		}
		if n.core.Round() != r || n.highTC == nil || n.highTC.Round != r-1 {
			t.Fatalf("node %d after TC of round %d: %s, persisted TC %v", i, r-1, n.core.Describe(), n.highTC)
		}
	}

	// Round r's leader is silent: time out again. Round r+1's leader then
	// proposes on the TC of r, and the live validators vote for it.
	h.fireTimers(live...)
	h.pump()
	props := h.sent(allOf(ofKind(types.KindProposal), inRounds(r+1, r+1)))
	if len(props) == 0 {
		t.Fatalf("no proposal for round %d", r+1)
	}
	p := props[0].msg.(*types.Proposal)
	if p.TC == nil || p.TC.Round != r {
		t.Fatalf("proposal of round %d carries TC %v, want the TC of round %d", r+1, p.TC, r)
	}
	if p.Block.QC.Round < p.TC.MaxHQCRound() {
		t.Errorf("proposal extends QC of round %d below the TC's high QC %d", p.Block.QC.Round, p.TC.MaxHQCRound())
	}
	next := h.sent(allOf(ofKind(types.KindProposal), inRounds(r+2, r+2)))
	if len(next) == 0 || next[0].msg.(*types.Proposal).Block.QC.BlockID != p.Block.ID() {
		t.Fatalf("block of round %d was not certified by the next proposal", r+1)
	}

	// Commits resume (timers keep firing whenever the silent one leads).
	h.run("commits after the timeouts", 30, h.committedAtLeast(before+3, live...))
	for _, i := range live {
		checkTwoChain(t, h, h.nodes[i])
		// Entering a round by QC arms BaseTimeout; each consecutive round
		// entered by TC doubles it; the next QC resets it.
		ticks := entryTicks(h.nodes[i])
		want := map[uint64]uint64{r - 1: baseTicks, r: 2 * baseTicks, r + 1: 4 * baseTicks, r + 2: baseTicks}
		for round, w := range want {
			if ticks[round] != w {
				t.Errorf("node %d entered round %d with timer %d, want %d", i, round, ticks[round], w)
			}
		}
	}
}

// Scenario 3b: the back-off is capped. Consecutive rounds entered by TC
// double the timer up to MaxTimeout; a fired timer re-arms for its round at
// double the ticks (so the timeout is re-sent); one QC restores BaseTimeout.
func TestTimerBackoffCapsAndResets(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 1)
	const r = 5
	h.pauseAt(r)
	heal := h.drop(ofKind(types.KindProposal))
	for range 5 { // rounds r .. r+4 end in TCs
		h.fireTimers()
		h.pump()
	}
	heal()
	h.fireTimers() // round r+5 ends in a TC too, but r+6 gets its proposal
	h.pumpUntil("round r+8", func() bool {
		for _, n := range h.nodes {
			if n.core.Round() < r+8 {
				return false
			}
		}
		return true
	})

	cases := []struct {
		round uint64
		ticks uint64
		why   string
	}{
		{r, baseTicks, "entered by QC"},
		{r + 1, 2 * baseTicks, "one TC"},
		{r + 2, 4 * baseTicks, "two TCs in a row"},
		{r + 3, 8 * baseTicks, "three TCs in a row: MaxTimeout"},
		{r + 4, maxTicks, "four TCs in a row: capped"},
		{r + 5, maxTicks, "five TCs in a row: capped"},
		{r + 6, maxTicks, "six TCs in a row: capped"},
		{r + 7, baseTicks, "entered by QC again"},
		{r + 8, baseTicks, "entered by QC again"},
	}
	for _, n := range h.nodes {
		ticks := entryTicks(n)
		for _, c := range cases {
			if ticks[c.round] != c.ticks {
				t.Errorf("node %d round %d (%s): timer %d, want %d", n.idx, c.round, c.why, ticks[c.round], c.ticks)
			}
		}
		// Each fired round re-armed at double its entry ticks, capped.
		for round := uint64(r); round <= r+5; round++ {
			if !hasTimer(n, round, min(2*ticks[round], maxTicks)) {
				t.Errorf("node %d: no re-armed timer for round %d after it fired", n.idx, round)
			}
		}
	}
}

// entryTicks maps each round to the timer armed on entering it; later
// timers for the same round are re-arms after it fired.
func entryTicks(n *node) map[uint64]uint64 {
	m := map[uint64]uint64{}
	for _, tm := range n.timers {
		if _, ok := m[tm.Round]; !ok {
			m[tm.Round] = tm.Ticks
		}
	}
	return m
}

func hasTimer(n *node, round, ticks uint64) bool {
	seen := false
	for _, tm := range n.timers {
		if tm.Round == round {
			if seen && tm.Ticks == ticks {
				return true
			}
			seen = true
		}
	}
	return false
}

// A validator re-sends its timeout until the round ends. A copy with
// nothing new (its high QC no higher than ours, no TC that moves us) is
// dropped as a duplicate before its certificates cost any pairing check,
// even when it carries another valid copy of its QC.
func TestResentTimeoutCostsNoPairing(t *testing.T) {
	p := pause(t)
	var checks atomic.Int64
	p.set.Scheme = countingScheme{Scheme: p.set.Scheme, aggregates: &checks}
	c, a := p.core(p.collector), p.others[0]
	hqc := c.HighQC()
	p.deliver(a, p.collector, p.signTimeout(a, p.R, hqc, nil))
	if p.drops(p.collector, consensus.DropDuplicate) != 0 {
		t.Fatal("the first timeout was dropped as a duplicate")
	}
	other := p.makeQC(hqc.Round, hqc.BlockID, 0, 1, 2, 3) // valid, but not the copy verified
	before, dups := checks.Load(), p.drops(p.collector, consensus.DropDuplicate)
	p.deliver(a, p.collector, p.signTimeout(a, p.R, other, nil))
	if got := p.drops(p.collector, consensus.DropDuplicate) - dups; got != 1 {
		t.Fatalf("re-sent timeout: %d duplicates counted, want 1", got)
	}
	if n := checks.Load() - before; n != 0 {
		t.Fatalf("re-sent timeout cost %d aggregate checks", n)
	}
}
