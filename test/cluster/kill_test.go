package cluster

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/types"
)

// A validator killed with SIGKILL again and again under load, across epoch
// changes, comes back every time. A node commits a block in one synced
// write and writes the state of executing it after its votes have left, so
// a kill can leave the state behind the commit index; the node executes
// those blocks again at start, before it reads its epoch. Afterwards the
// transactions it reported committed are still there, and every node has
// the same chain and every transaction.
func TestRepeatedKillsUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four processes")
	}
	const n, waves, perWave = 4, 50, 60
	c := newCluster(t, n, "--epoch-length", "40")
	for i := 0; i < n; i++ {
		c.start(i)
	}
	c.waitHeight(2, 30*time.Second, 0, 1, 2, 3)
	st, err := c.client(0).Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	l := newLoad(st.ChainID, 16)
	rng := rand.New(rand.NewPCG(11, 3))
	down := map[int]bool{}
	live := func(i int) bool { return !down[i] }
	var durable []types.Hash // committed on node 1 before one of its kills
	kills := 0
	for w := 0; w < waves; w++ {
		switch w % 8 {
		case 4: // at a seeded moment inside the wave's traffic
			durable = append(durable, committedSample(t, c.client(1), l.sent, 0)...)
			time.Sleep(time.Duration(rng.IntN(100)) * time.Millisecond)
			c.kill9(1)
			down[1] = true
			kills++
		case 5:
			c.start(1)
			down[1] = false
			// Mempools are not durable: what node 1 admitted but had not
			// gossiped died with it, and the senders' later nonces would
			// soon be too far ahead to admit. Clients re-offer, as they must.
			resubmit(t, c, l.sent)
		}
		if err := c.submit(l.batch(perWave), w, live); err != nil {
			t.Fatalf("wave %d: %v", w, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	resubmit(t, c, l.sent)
	waitCommitted(t, c, l.sent[len(l.sent)-1].Hash(), 60*time.Second)
	top := c.height(0)
	c.waitHeight(top, 60*time.Second, 0, 1, 2, 3)
	for _, h := range durable {
		if _, err := c.client(1).Tx(context.Background(), h); err != nil {
			t.Fatalf("tx %s committed on node 1 before a SIGKILL is gone: %v", h.Short(), err)
		}
	}
	sameChains(t, c, top)
	allCommitted(t, c, l.sent)
	log, _ := os.ReadFile(filepath.Join(c.homes[1], "node.log"))
	t.Logf("%d kills, %d re-executions at start, %d txs, %d blocks identical on %d nodes",
		kills, strings.Count(string(log), "re-executed committed blocks"), len(l.sent), top, n)
}
