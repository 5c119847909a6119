package node

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

const replayChain = "replay-test"

func replayGenesis(t *testing.T) state.Genesis {
	sk, err := bls.GenerateKey([]byte("replay-test-validator-key-seed-00"))
	if err != nil {
		t.Fatal(err)
	}
	v := staking.GenesisValidator{BLSKey: sk.PublicKey().Bytes(), PoP: sk.ProvePossession(), Name: "v0", Stake: 10_000}
	v.Operator[0], v.NodeID[0] = 9, 9
	return state.Genesis{Params: staking.DefaultParams(), Validators: []staking.GenesisValidator{v}}
}

// replayChainOf builds n committed blocks of memo transactions from two
// senders, hash-linked through (unsigned) QCs: the store does not check them.
func replayChainOf(n int) []*types.Block {
	keys := make([]ed25519.PrivateKey, 2)
	for i := range keys {
		seed := sha256.Sum256([]byte(fmt.Sprint("replay-sender-", i)))
		keys[i] = ed25519.NewKeyFromSeed(seed[:])
	}
	parent := types.GenesisBlock(replayChain, 1).ID()
	var out []*types.Block
	for h := 1; h <= n; h++ {
		var txs []*types.Tx
		for i, k := range keys {
			tx := &types.Tx{ChainID: replayChain, Nonce: uint64(h - 1), Kind: state.KindMemo, Body: []byte(fmt.Sprint("memo ", h, i))}
			tx.Sign(k)
			txs = append(txs, tx)
		}
		qc := &types.QC{Epoch: 1, Round: uint64(h - 1), BlockID: parent}
		b := types.NewBlock(1, uint64(h), uint64(h), qc, 0, txs)
		out = append(out, b)
		parent = b.ID()
	}
	return out
}

func openReplayNode(t *testing.T, dir string, g state.Genesis) *Node {
	t.Helper()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := state.New(replayChain, st, nil, g)
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	return &Node{store: st, machine: m, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// A crash between the synced write that commits a block and the later
// write of its execution leaves the state behind the committed tip; at
// start the node executes those blocks again and reaches the very state it
// had, and a node whose state is current re-executes nothing.
func TestCatchUpStateReexecutesLostHeights(t *testing.T) {
	g := replayGenesis(t)
	blocks := replayChainOf(6)
	for _, lost := range []int{0, 1, 3, 6} {
		t.Run(fmt.Sprintf("%d heights lost", lost), func(t *testing.T) {
			dir := t.TempDir()
			n := openReplayNode(t, dir, g)
			for i, b := range blocks {
				if err := n.store.Apply(&consensus.Ready{Blocks: []*types.Block{b}, Committed: []*types.Block{b}}); err != nil {
					t.Fatal(err)
				}
				kvs := n.machine.Apply([]*types.Block{b})
				if i < len(blocks)-lost { // the rest were never written: the crash
					if err := n.store.WriteState(kvs, true); err != nil {
						t.Fatal(err)
					}
				}
			}
			want := n.machine.RecentResults(1)[0]
			n.store.Close()

			n = openReplayNode(t, dir, g)
			if got := n.machine.Height(); got != uint64(len(blocks)-lost) {
				t.Fatalf("reopened state at height %d, want %d", got, len(blocks)-lost)
			}
			if err := n.catchUpState(); err != nil {
				t.Fatal(err)
			}
			if got := n.machine.RecentResults(1)[0]; got != want {
				t.Fatalf("state after catching up %+v, want %+v", got, want)
			}
			for _, tx := range blocks[len(blocks)-1].Txs {
				if r, err := n.machine.Receipt(tx.Hash()); err != nil || r.Height != uint64(len(blocks)) {
					t.Fatalf("receipt of the last block's tx: %+v, %v", r, err)
				}
			}
			n.store.Close()

			n = openReplayNode(t, dir, g) // what catching up wrote is durable
			defer n.store.Close()
			if got := n.machine.RecentResults(1)[0]; got != want {
				t.Fatalf("state after a second restart %+v, want %+v", got, want)
			}
			if err := n.catchUpState(); err != nil || n.machine.Height() != uint64(len(blocks)) {
				t.Fatalf("second catch-up: height %d, %v", n.machine.Height(), err)
			}
		})
	}
}

// A block is committed in a synced write before it is executed; until the
// node reports its height, the API does not serve it, so whoever sees a
// block also finds its receipts.
func TestBlocksAboveTheReportedHeightAreNotServed(t *testing.T) {
	n := openReplayNode(t, t.TempDir(), replayGenesis(t))
	defer n.store.Close()
	n.gblock = types.GenesisBlock(replayChain, 1)
	blocks := replayChainOf(3)
	if err := n.store.Apply(&consensus.Ready{Blocks: blocks, Committed: blocks}); err != nil {
		t.Fatal(err)
	}
	n.status.set(2, blocks[1].ID(), 0) // block 3 is indexed but not yet executed
	if b, err := n.BlockAt(2); err != nil || b.ID() != blocks[1].ID() {
		t.Fatalf("BlockAt(2) = %v, %v", b, err)
	}
	if _, err := n.BlockAt(3); !errors.Is(err, ErrNotFound) {
		t.Fatalf("BlockAt(3) above the reported height: %v, want ErrNotFound", err)
	}
}
