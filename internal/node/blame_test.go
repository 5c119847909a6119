package node

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"github.com/lazchain/lazchain/internal/types"
	"log/slog"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/lazchain/lazchain/internal/mempool"
	"github.com/lazchain/lazchain/internal/p2p"
)

// Bad signatures in a gossiped batch are the gossiping peer's fault (a
// node gossips only what its pool admitted): they are counted, and the
// peer named in the log at most once a minute; other refusals and
// batches of unknown origin blame no one.
func TestBadGossipedSignaturesBlameTheSender(t *testing.T) {
	var logged bytes.Buffer
	n := &Node{metrics: newMetrics(), log: slog.New(slog.NewTextHandler(&logged, nil)), badGossip: p2p.NewPacer(time.Minute)}
	count := func() float64 {
		var m dto.Metric
		n.metrics.rejected.WithLabelValues("gossip_bad_signature").Write(&m)
		return m.GetCounter().GetValue()
	}
	peer := p2p.NodeID{7}
	bad := fmt.Errorf("tx 3: %w", mempool.ErrBadSig)
	other := errors.New("nonce too low")

	n.blameBadSigs(peer, []error{nil, other, nil})
	n.blameBadSigs(p2p.NodeID{}, []error{bad, bad})
	if count() != 0 || logged.Len() != 0 {
		t.Fatalf("blamed without cause: count %v, log %q", count(), logged.String())
	}
	n.blameBadSigs(peer, []error{nil, bad, bad, other})
	n.blameBadSigs(peer, []error{bad})
	if count() != 3 {
		t.Fatalf("counted %v bad signatures, want 3", count())
	}
	if lines := strings.Count(logged.String(), "bad signatures"); lines != 1 || !strings.Contains(logged.String(), peer.String()) {
		t.Fatalf("log %q: want one line naming the peer", logged.String())
	}
}

// A transaction sent again after it sat in the pool for regossipAfter is
// gossiped again (the first frame is best effort, and a full node never
// proposes it); a fresh duplicate is not.
func TestResubmissionIsGossipedAgain(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	tx := &types.Tx{ChainID: "rv", Nonce: 0, Body: []byte("b")}
	tx.Sign(priv)
	n := &Node{pool: mempool.New(mempool.Config{ChainID: "rv"}), metrics: newMetrics(),
		kick: make(chan struct{}, 1), spare: newSpareChecks(spareRate, spareBurst),
		gossip: &gossiper{last: time.Now().Add(time.Hour)}} // no flush during the test
	if err := n.Submit([]*types.Tx{tx})[0]; err != nil {
		t.Fatal(err)
	}
	n.gossip.pending = nil // that frame was lost
	if err := n.Submit([]*types.Tx{tx})[0]; !errors.Is(err, mempool.ErrDuplicate) {
		t.Fatalf("resubmission: %v, want a duplicate", err)
	}
	if len(n.gossip.pending) != 0 {
		t.Fatal("a fresh duplicate was gossiped again (clients resend part-refused batches at load)")
	}
	if !n.stuck(tx, time.Now().Add(regossipAfter)) {
		t.Fatal("a transaction pooled for regossipAfter is not taken as stuck")
	}
	other := &types.Tx{ChainID: "rv", Nonce: 0, Body: []byte("other")}
	other.Sign(priv)
	n.gossip.pending = nil
	n.Submit([]*types.Tx{other}) // its nonce is taken: refused, not gossiped
	if len(n.gossip.pending) != 0 {
		t.Fatal("a refused transaction was gossiped")
	}
}
