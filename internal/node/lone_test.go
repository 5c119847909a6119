package node

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"log/slog"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/types"
)

// A lone validator's own vote completes every quorum inside the step that
// answers its payload, which the driver merges into the Ready it is
// carrying out: whatever that step asks of the driver must be done there,
// or the round waits for its timeout.
func TestLoneValidatorNeverTimesOut(t *testing.T) {
	n, g, stop := startLone(t, "announce")
	seed := func(tag string) []byte { h := types.HashOf([]byte(tag)); return h[:] }
	sender := ed25519.NewKeyFromSeed(seed("announce-sender"))
	wait, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for nonce := range uint64(5) {
		tx := &types.Tx{ChainID: g.ChainID, Nonce: nonce, Body: []byte("announce")}
		tx.Sign(sender)
		if errs := n.Submit([]*types.Tx{tx}); errs[0] != nil {
			t.Fatalf("submit nonce %d: %v", nonce, errs[0])
		}
		if _, err := n.WaitCommitted(wait, tx.Hash()); err != nil {
			t.Fatalf("nonce %d: %v", nonce, err)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	// The driver has stopped: the core is ours to read.
	if s := n.core.Stats(); s.Timeouts != 0 {
		t.Errorf("a lone validator timed out %d rounds", s.Timeouts)
	}
}

// startLone runs a lone validator on loopback; stop ends it and returns
// what Run returned.
func startLone(t *testing.T, tag string) (*Node, *config.Genesis, func() error) {
	t.Helper()
	seed := func(s string) []byte { h := types.HashOf([]byte(tag + "-" + s)); return h[:] }
	nodeKey := ed25519.NewKeyFromSeed(seed("node"))
	blsKey, err := bls.GenerateKey(seed("bls"))
	if err != nil {
		t.Fatal(err)
	}
	// A round timeout no healthy lone validator comes near, even on a
	// loaded machine: a round that times out is the driver's fault.
	params := config.DefaultConsensus()
	params.BaseTimeoutMs, params.MaxTimeoutMs = 15_000, 15_000
	g := &config.Genesis{ChainID: tag + "-test", Consensus: params,
		Validators: []config.GenesisValidator{{Name: "v0",
			NodeID: hex.EncodeToString(nodeKey.Public().(ed25519.PublicKey)),
			BLSKey: hex.EncodeToString(blsKey.PublicKey().Bytes()),
			PoP:    hex.EncodeToString(blsKey.ProvePossession()), Stake: 1_000_000}}}
	cfg := config.Default()
	cfg.P2P.Listen, cfg.API.Listen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.IDAO.Paused = true
	n, err := New(Options{Home: t.TempDir(), Config: cfg, Genesis: g, NodeKey: nodeKey, BLSKey: blsKey,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { stop() })
	return n, g, stop
}

// A transaction that a block carried but execution skipped (a faulty
// leader put it ahead of the nonce before it) has not committed: a client
// waiting for it keeps waiting, and learns the height it really commits
// at.
func TestWaitCommittedSkipsUnexecuted(t *testing.T) {
	n, g, _ := startLone(t, "skipped")
	sender := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	tx := func(nonce uint64) *types.Tx {
		x := &types.Tx{ChainID: g.ChainID, Nonce: nonce, Body: []byte("skipped")}
		x.Sign(sender)
		return x
	}
	first, second := tx(0), tx(1)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	got := make(chan uint64, 1)
	go func() {
		h, err := n.WaitCommitted(ctx, second.Hash())
		if err != nil {
			t.Errorf("wait: %v", err)
		}
		got <- h
	}()
	time.Sleep(50 * time.Millisecond)
	// What the driver does for every transaction of a committed block,
	// executed or not.
	n.waiters.done(second.Hash(), 1)
	select {
	case h := <-got:
		t.Fatalf("wait returned height %d for a transaction with no receipt", h)
	case <-time.After(300 * time.Millisecond):
	}

	if errs := n.Submit([]*types.Tx{first, second}); errs[0] != nil || errs[1] != nil {
		t.Fatalf("submit: %v", errs)
	}
	h := <-got
	r, err := n.receipt(second.Hash())
	if err != nil || r.Height != h {
		t.Fatalf("wait said height %d; receipt %+v, %v", h, r, err)
	}
}

// An epoch proof counts for the peer that relayed it (asked first after
// the switch, and its wait for a turn reset) only once the core checked it
// and moved on: a forged one buys a liar nothing.
func TestEpochProofCountsOnlyWhenChecked(t *testing.T) {
	n, g, stop := startLone(t, "proof")
	if err := stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	// The driver has stopped: the core is ours to step.
	seed := func(s string) []byte { h := types.HashOf([]byte("proof-" + s)); return h[:] }
	blsKey, err := bls.GenerateKey(seed("bls"))
	if err != nil {
		t.Fatal(err)
	}
	set := n.view().set
	high := n.core.HighQC()
	id := types.HashOf([]byte("a block beyond the tip"))
	signers := types.NewBitmap(1)
	signers.Set(0)
	sig := blsKey.Sign(types.VoteSigningBytes(g.ChainID, set.Epoch, high.Round+1, id))
	valid := &types.QC{Epoch: set.Epoch, Round: high.Round + 1, BlockID: id, Signers: signers, Sig: sig}
	forged := *valid
	forged.Round++ // the signature is for the round before

	var liar, honest p2p.NodeID
	liar[0], honest[0] = 1, 2
	// The reader passes a proof on to the driver and no more.
	n.onFrame(liar, chanConsensus, types.EncodeMessage(&types.EpochProof{QC: &forged}))
	if n.epochs.served != (p2p.NodeID{}) {
		t.Fatal("a proof counted for its relay before the core checked it")
	}
	for _, c := range []struct {
		relay p2p.NodeID
		qc    *types.QC
		want  p2p.NodeID
	}{
		{liar, &forged, p2p.NodeID{}},
		{honest, valid, honest},
		{liar, valid, honest}, // a replay moves nothing
	} {
		n.step(inbound{from: -1, msg: &types.EpochProof{QC: c.qc}, relay: c.relay})
		if n.epochs.served != c.want {
			t.Fatalf("after a proof of round %d from %x: served %x, want %x", c.qc.Round, c.relay[:1], n.epochs.served[:1], c.want[:1])
		}
	}
}
