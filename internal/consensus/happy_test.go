package consensus_test

import (
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/types"
)

// Scenario 1: four equal validators, no faults. Every core commits the same
// block at each height, each commit is justified by the two-chain rule, and
// Ready hands a block over for persisting no later than it commits it.
func TestHappyPathCommitsOneChain(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 1)
	h.pumpUntil("height 10 everywhere", h.committedAtLeast(10))

	want := h.nodes[0].committed[:11]
	for _, n := range h.nodes {
		for height, b := range want {
			if got := n.committed[height]; got.ID() != b.ID() {
				t.Errorf("node %d height %d: committed %s, node 0 committed %s", n.idx, height, got.ID().Short(), b.ID().Short())
			}
		}
		checkTwoChain(t, h, n)
		// Nothing was lost, so nobody had a reason to drop or time out.
		st := n.core.Stats()
		for d, c := range st.Dropped {
			if c != 0 {
				t.Errorf("node %d dropped %d messages as %s", n.idx, c, consensus.Drop(d))
			}
		}
		if st.Timeouts != 0 || st.TCs != 0 {
			t.Errorf("node %d: %d timeouts, %d TCs on a fault-free run", n.idx, st.Timeouts, st.TCs)
		}
	}
	// Without timeouts every round certifies its block: height equals round,
	// and each block carries the QC of the round before it.
	for height, b := range want[1:] {
		if b.Round != uint64(height+1) || b.QC.Round != b.Round-1 || len(b.Txs) != 2 {
			t.Errorf("height %d: round %d, qc round %d, %d txs", height+1, b.Round, b.QC.Round, len(b.Txs))
		}
	}
}

// checkTwoChain replays node n's Ready values and checks the commit rule
// and the Ready ordering contract:
//   - a block commits only when it heads a two-chain: its child is
//     certified (by Ready.CommitQC) and has the next round;
//   - every committed block was in Ready.Blocks of the same or an earlier
//     Ready (or is genesis).
func checkTwoChain(t *testing.T, h *harness, n *node) {
	t.Helper()
	persisted := map[types.Hash]*types.Block{h.genesis.ID(): h.genesis}
	commits := 0
	for i, r := range n.readies {
		for _, b := range r.Blocks {
			persisted[b.ID()] = b
		}
		for _, b := range r.Committed {
			if persisted[b.ID()] == nil {
				t.Errorf("node %d ready %d commits height %d before persisting it", n.idx, i, b.Height)
			}
		}
		if len(r.Committed) == 0 {
			continue
		}
		commits++
		head := r.Committed[len(r.Committed)-1]
		qc := r.CommitQC
		if qc == nil {
			t.Errorf("node %d ready %d commits height %d without a commit QC", n.idx, i, head.Height)
			continue
		}
		if err := qc.Verify(h.set, h.genesis.ID()); err != nil {
			t.Errorf("node %d ready %d: commit QC does not verify: %v", n.idx, i, err)
		}
		child := persisted[qc.BlockID]
		switch {
		case child == nil:
			t.Errorf("node %d ready %d: commit QC certifies an unknown block", n.idx, i)
		case child.Parent != head.ID() || child.Round != head.Round+1 || child.QC.Round != head.Round:
			t.Errorf("node %d commits round %d on a certified child of round %d (parent ok: %v)",
				n.idx, head.Round, child.Round, child.Parent == head.ID())
		}
	}
	if commits == 0 {
		t.Errorf("node %d never committed", n.idx)
	}
}

// Scenario 2a: a QC needs votes carrying more than two thirds of the stake,
// not more than two thirds of the voters. With stakes 1,1,1,10 the heavy
// validator with anyone is a quorum (it is one even alone); the three light
// ones together are not.
func TestQuorumIsStakeWeighted(t *testing.T) {
	const heavy = 3
	cases := []struct {
		voters []int
		quorum bool
	}{
		{[]int{0, heavy}, true}, // delivered in this order: light first,
		{[]int{1, heavy}, true}, // or heavy would form the QC alone
		{[]int{2, heavy}, true},
		{[]int{heavy}, true}, // 10 of 13 is over two thirds
		{[]int{0, 1, 2}, false},
		{[]int{0, 1}, false},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.voters), func(t *testing.T) {
			h := newHarness(t, 1, 1, 1, 10)
			// Votes of round r go to the leader of r+1; pick a light collector
			// that has not voted in r, and a block it never saw (a collector
			// certifies what the votes name, known or not).
			r := h.roundWhere(2, func(r uint64) bool { return h.leader(r+1) != heavy })
			collector := h.leader(r + 1)
			b := h.block(r, 1, types.GenesisQC(testEpoch, h.genesis.ID()))
			for _, v := range tc.voters {
				h.deliver(v, collector, h.signVote(v, r, b.ID()))
			}
			qc := h.core(collector).HighQC()
			if formed := qc.Round == r; formed != tc.quorum {
				t.Fatalf("votes of %v: QC formed %v, want %v", tc.voters, formed, tc.quorum)
			}
			if tc.quorum {
				if err := qc.Verify(h.set, h.genesis.ID()); err != nil || qc.BlockID != b.ID() {
					t.Fatalf("formed QC does not verify for the block: %v", err)
				}
				if got := qc.Signers.Indices(); fmt.Sprint(got) != fmt.Sprint(sorted(tc.voters)) {
					t.Fatalf("QC signers %v, want %v", got, sorted(tc.voters))
				}
				if h.core(collector).Round() != r+1 {
					t.Fatalf("collector in round %d after QC of %d", h.core(collector).Round(), r)
				}
			}
		})
	}
}

// Scenario 2b: the same rule end to end. Only validators in live exchange
// messages; the chain grows iff their stake is a quorum — for QCs and TCs
// alike, so the light three cannot even time out of round 1.
func TestLivenessNeedsQuorumStake(t *testing.T) {
	cases := []struct {
		live     []int
		progress bool
	}{
		{[]int{3, 0}, true},
		{[]int{3, 1}, true},
		{[]int{3, 2}, true},
		{[]int{3}, true},
		{[]int{0, 1, 2}, false},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.live), func(t *testing.T) {
			h := newHarness(t, 1, 1, 1, 10)
			for _, dead := range h.othersThan(tc.live...) {
				h.drop(isolated(dead))
			}
			if tc.progress {
				h.run("commits by the live validators", 50, h.committedAtLeast(3, tc.live...))
				return
			}
			for range 5 {
				h.pump()
				h.fireTimers(tc.live...)
			}
			h.pump()
			for _, i := range tc.live {
				c, st := h.core(i), h.core(i).Stats()
				if c.Round() != 1 || c.HighQC().Round != 0 || c.Committed().Height != 0 || st.QCs+st.TCs != 0 {
					t.Errorf("node %d: %s, %d QCs, %d TCs", i, c.Describe(), st.QCs, st.TCs)
				}
				if st.Timeouts == 0 {
					t.Errorf("node %d never timed out", i)
				}
			}
		})
	}
}

// Scenario 2c: leaders are drawn in proportion to stake.
func TestLeaderDrawIsStakeWeighted(t *testing.T) {
	h := newHarness(t, 1, 1, 1, 10)
	const rounds = 13_000
	var led [4]int
	for r := uint64(1); r <= rounds; r++ {
		led[h.leader(r)]++
	}
	for i, stake := range []int{1, 1, 1, 10} {
		want := rounds * stake / 13
		if d := led[i] - want; d*10 > want || -d*10 > want { // within 10%
			t.Errorf("validator %d (stake %d) led %d of %d rounds, want about %d", i, stake, led[i], rounds, want)
		}
	}
}

func sorted(xs []int) []int {
	out := append([]int(nil), xs...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}
