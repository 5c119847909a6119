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
	"github.com/lazchain/lazchain/internal/types"
)

// A lone validator's own vote completes every quorum inside the step that
// answers its payload, which the driver merges into the Ready it is
// carrying out: whatever that step asks of the driver must be done there,
// or the round waits for its timeout.
func TestLoneValidatorNeverTimesOut(t *testing.T) {
	seed := func(tag string) []byte { h := types.HashOf([]byte(tag)); return h[:] }
	nodeKey := ed25519.NewKeyFromSeed(seed("announce-node"))
	blsKey, err := bls.GenerateKey(seed("announce-bls"))
	if err != nil {
		t.Fatal(err)
	}
	// A round timeout no healthy lone validator comes near, even on a
	// loaded machine: a round that times out is the driver's fault.
	params := config.DefaultConsensus()
	params.BaseTimeoutMs, params.MaxTimeoutMs = 15_000, 15_000
	g := &config.Genesis{ChainID: "announce-test", Consensus: params,
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
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()

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
	stop()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	// The driver has stopped: the core is ours to read.
	if s := n.core.Stats(); s.Timeouts != 0 {
		t.Errorf("a lone validator timed out %d rounds", s.Timeouts)
	}
}
