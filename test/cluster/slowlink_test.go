package cluster

import (
	"context"
	"slices"
	"testing"
	"time"
)

// slowLinks delays every byte to and from node i by d each way, on links
// made from now on.
func (c *cluster) slowLinks(i int, d time.Duration) {
	for pair, p := range c.proxies {
		if pair[0] == i || pair[1] == i {
			p.setDelay(d)
		}
	}
}

// steadyLoad submits 20 transactions every 20 ms, round robin over the
// nodes, until stop closes or 10,000 are sent.
func (c *cluster) steadyLoad(l *load, stop <-chan struct{}) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	all := func(int) bool { return true }
	for len(l.sent) < 10_000 {
		select {
		case <-stop:
			return nil
		case <-tick.C:
		}
		if err := c.submit(l.batch(20), len(l.sent)/20, all); err != nil {
			return err
		}
	}
	return nil
}

// A validator behind a slow link (40 ms each way; the others talk over
// loopback) has its vote arrive after the others' quorum in every round.
// It must still count as live: in the QC of every sampled height, where the
// leader waits for late votes; at full weight in the leader draw; and in
// the set after several epoch ends, which jail a validator that signed or
// proposed under 5% of an epoch's blocks. Without the wait it is demoted
// and jailed at the first epoch end.
func TestSlowValidatorStaysInTheSet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four processes")
	}
	c := newCluster(t, 4, "--epoch-length", "40")
	c.slowLinks(3, 40*time.Millisecond)
	for i := 0; i < 4; i++ {
		c.start(i)
	}
	op := c.nodeID(3)
	c.waitHeight(1, 30*time.Second, 0, 3)
	// Under load a leader has transactions to propose at once, so the only
	// wait for late votes is the one for sampled heights.
	st, err := c.client(0).Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	l := newLoad(st.ChainID, 4)
	stop, done := make(chan struct{}), make(chan error, 1)
	go func() { done <- c.steadyLoad(l, stop) }()
	c.waitFor("four epoch ends under load", 120*time.Second, func() bool { return c.validators(0).Epoch >= 4 })
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	v := c.validators(0)
	idx := slices.IndexFunc(v.Validators, func(x struct {
		Index    int    `json:"index"`
		Operator string `json:"operator"`
		Stake    uint64 `json:"stake"`
	}) bool {
		return x.Operator == op
	})
	if idx < 0 {
		t.Fatalf("node3 left the validator set by epoch %d", v.Epoch)
	}
	// The QC a block carries certifies its parent: heights whose parent is
	// a multiple of 4 (consensus.StragglerEvery) carry the late votes.
	// Epoch 0's set is in genesis order, later ones by stake then operator:
	// the index is the same from epoch 1 on while nobody joins or leaves.
	sampled, signed := 0, 0
	for h := uint64(42); h <= c.height(0); h++ {
		b, err := c.client(0).Block(context.Background(), h, false)
		if err != nil {
			t.Fatal(err)
		}
		if (h-1)%4 != 0 || b.QC == nil || b.QC.Epoch == 0 || b.QC.Round+1 != b.Round || int(b.Proposer) == v.Validators[idx].Index {
			continue // not sampled, or aggregated by node3 itself
		}
		sampled++
		if slices.Contains(b.QC.Signers, v.Validators[idx].Index) {
			signed++
		}
	}
	t.Logf("node3 signed %d of %d sampled QCs of epochs 1 to %d", signed, sampled, v.Epoch)
	if sampled < 10 || 4*signed < 3*sampled {
		t.Fatalf("node3 signed %d of %d sampled QCs of epochs 1 to %d, want at least three quarters of ten or more", signed, sampled, v.Epoch)
	}
	if got := metricValue(t, c.apis[0], "lazchain_demoted_validators"); got != 0 {
		t.Fatalf("node0 weighs %v validators down in the leader draw, want 0", got)
	}
	waits := 0.0
	for i := 0; i < 3; i++ {
		waits += metricValue(t, c.apis[i], `lazchain_straggler_waits_total{outcome="in_time"}`)
	}
	if waits == 0 {
		t.Fatal("the near validators never waited for node3's vote as leaders")
	}
}
