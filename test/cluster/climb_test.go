package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/types"
)

// TestFullNodeClimbsLongChain: a full node that starts with only the
// genesis file, several block requests' reach (64 blocks each) behind a
// chain in one epoch, climbs the committed chain from its genesis upward
// (ChainRequest, answered by the validators from their stores, every QC
// checked on the way) and then follows new blocks. Each stretch crosses
// the wire about once.
func TestFullNodeClimbsLongChain(t *testing.T) {
	if testing.Short() {
		t.Skip("starts five processes")
	}
	c := newCluster(t, 4, "--epoch-length", "1000000")
	for i := 0; i < 4; i++ {
		c.start(i)
	}
	c.waitHeight(1, 30*time.Second, 0)
	st, err := c.client(0).Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	l := newLoad(st.ChainID, 4)
	// Small batches keep rounds short, so the chain grows fast.
	const want = 6 * types.MaxFetchBlocks
	// Bounded in time generously: the test needs the gap, not a rate.
	for deadline := time.Now().Add(3 * time.Minute); c.height(0) < want && time.Now().Before(deadline); {
		if err := c.submit(l.batch(4), 0, func(int) bool { return true }); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	waitCommitted(t, c, l.sent[len(l.sent)-1].Hash(), 30*time.Second)
	top := c.height(0)
	if top < want {
		t.Fatalf("chain at height %d after 3 minutes of load, want %d", top, want)
	}
	full := c.addFullNode()
	c.start(full)
	c.waitHeight(top+3, 60*time.Second, full)
	sameChains(t, c, top)
	for _, tx := range l.sent {
		if v, err := c.client(full).Tx(context.Background(), tx.Hash()); err != nil || v.Status != "committed" {
			t.Fatalf("full node lacks tx %s: %v", tx.Hash().Short(), err)
		}
	}
	climbs, served := 0.0, 0.0
	for i := 0; i < 4; i++ {
		climbs += metricValue(t, c.apis[i], "lazchain_chain_requests_served_total")
		served += metricValue(t, c.apis[i], "lazchain_blocks_served_total")
	}
	if minClimbs := float64(top/types.MaxFetchBlocks - 2); climbs < minClimbs {
		t.Errorf("validators answered %.0f climb requests for a gap of %d blocks, want at least %.0f", climbs, top, minClimbs)
	}
	if limit := float64(top + 4*types.MaxFetchBlocks); served > limit {
		t.Errorf("validators served %.0f blocks to a full node %d behind, want at most %.0f", served, top, limit)
	}
	t.Logf("a full node %d blocks behind caught up with %.0f climb requests, %.0f blocks served", top, climbs, served)
}
