package node

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"log/slog"
	"strings"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/safety"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/state"
)

// A node whose BLS key is in the set under another node id (a home's
// keys copied, say) follows the epoch as a full node and says why, where
// it used to refuse to start at all; with its own node id it signs.
func TestEpochViewWithKeyRegisteredElsewhere(t *testing.T) {
	const chain = "view-test"
	blsKey := func(s string) *bls.SecretKey {
		seed := sha256.Sum256([]byte(s))
		k, err := bls.GenerateKey(seed[:])
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	other, mine := blsKey("other"), blsKey("mine")
	nodeKey := ed25519.NewKeyFromSeed(make([]byte, 32))
	self := p2p.IDOf(nodeKey.Public().(ed25519.PublicKey))
	rules, err := safety.New(chain, mine, &safety.MemStorage{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		id       [32]byte
		wantSelf int
	}{
		{"registered with another node id", [32]byte{0xAA}, -1},
		{"registered with this node's id", [32]byte(self), 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logged bytes.Buffer
			n := &Node{chainID: chain, nodeID: self, rules: rules, log: slog.New(slog.NewTextHandler(&logged, nil))}
			e := &state.Epoch{Number: 1, LastHeight: 10, EndHeight: 20, Set: []staking.Member{
				{NodeID: [32]byte{1}, BLSKey: other.PublicKey().Bytes(), Power: 5000, Name: "other"},
				{NodeID: c.id, BLSKey: mine.PublicKey().Bytes(), Power: 6000, Name: "mine"},
			}}
			v, err := n.newView(e)
			if err != nil {
				t.Fatalf("newView: %v", err)
			}
			if v.self != c.wantSelf {
				t.Fatalf("self %d, want %d", v.self, c.wantSelf)
			}
			if warned := strings.Contains(logged.String(), "another node key"); warned != (c.wantSelf < 0) {
				t.Fatalf("logged %q", logged.String())
			}
		})
	}
}
