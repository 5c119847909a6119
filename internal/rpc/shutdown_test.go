package rpc

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/node"
	"github.com/lazchain/lazchain/internal/types"
)

// Serve returns only once no handler runs: `lazchain start` stops the node
// (and closes its store) right after, and a handler still reading the
// store found it closed (a panic, or a node that exits with "leaked
// iterators"). Here a batch's body is still arriving when the API stops.
func TestServeWaitsForHandlers(t *testing.T) {
	nodeKey := ed25519.NewKeyFromSeed(seeded("node", 0))
	blsKey, err := bls.GenerateKey(seeded("bls", 0))
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.P2P.Listen, cfg.API.Listen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.IDAO.Paused = true
	n, err := node.New(node.Options{Home: t.TempDir(), Config: cfg, Genesis: testGenesis(t), NodeKey: nodeKey, BLSKey: blsKey, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(n, Options{})
	if err := srv.Listen(cfg.API.Listen); err != nil {
		t.Fatal(err)
	}
	nodeCtx, stopNode := context.WithCancel(context.Background())
	apiCtx, stopAPI := context.WithCancel(context.Background())
	nodeErr, apiErr := make(chan error, 1), make(chan error, 1)
	go func() { nodeErr <- n.Run(nodeCtx) }()
	go func() { apiErr <- srv.Serve(apiCtx) }()
	defer func() {
		stopNode()
		<-nodeErr
	}()

	batch := types.EncodeTxBatch([]*types.Tx{signedTx(testChain, account(7), 0, "x")})
	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /txs/batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", len(batch))
	c.Write(batch[:len(batch)-1]) // the handler now waits for the last byte
	for deadline := time.Now().Add(10 * time.Second); srv.inHandlers() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the request never reached its handler")
		}
	}
	stopAPI()
	select {
	case <-apiErr:
		t.Fatal("Serve returned with a handler still reading its request")
	case <-time.After(500 * time.Millisecond):
	}
	select {
	case err := <-apiErr: // past the grace period the connection is cut
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after its grace period")
	}
}

// inHandlers is how many requests are inside a handler now.
func (s *Server) inHandlers() int {
	s.active.mu.Lock()
	defer s.active.mu.Unlock()
	return s.active.n
}
