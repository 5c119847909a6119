package cluster

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/config"
)

// A validator that moves to a new p2p address and says so on chain
// (edit-validator --net-addr) is dialled there by the others from the next
// epoch on. The mover has the largest node key, so it dials nobody itself
// (of two validators the smaller key dials): without the redial it would
// stay cut off, unable to catch up or vote.
func TestValidatorMovesAddress(t *testing.T) {
	if testing.Short() {
		t.Skip("starts four processes")
	}
	c := newCluster(t, 4, "--epoch-length", "20")
	for i := 0; i < 4; i++ {
		c.start(i)
	}
	c.waitHeight(2, 30*time.Second, 0, 1, 2, 3)
	m := 0
	for i := 1; i < 4; i++ {
		if c.nodeID(i) > c.nodeID(m) { // same-length lowercase hex sorts as the bytes
			m = i
		}
	}
	other := (m + 1) % 4

	c.kill9(m)
	cfg, err := config.Load(c.homes[m])
	if err != nil {
		t.Fatal(err)
	}
	cfg.P2P.Listen = freePort(t)
	if err := cfg.Save(c.homes[m]); err != nil {
		t.Fatal(err)
	}
	t.Log(c.cli("tx", "stake", "edit-validator", "--node", c.apis[other], "--key", filepath.Join(c.homes[m], config.NodeKeyFile),
		"--net-addr", cfg.P2P.Listen))
	c.start(m)

	top := c.height(other)
	c.waitHeight(top+1, 90*time.Second, m)
	c.waitSigned(top, c.nodeID(m))
	top = c.height(other)
	c.waitHeight(top, 60*time.Second, 0, 1, 2, 3)
	sameChains(t, c, top)
}
