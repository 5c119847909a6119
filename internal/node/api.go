package node

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/mempool"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

// The methods here are what the HTTP API calls; all are safe on any
// goroutine and none touches the consensus core.

// ErrNotFound reports an unknown height or transaction.
var ErrNotFound = errors.New("not found")

// ChainID returns the chain id.
func (n *Node) ChainID() string { return n.chainID }

// NodeID returns this node's p2p id.
func (n *Node) NodeID() p2p.NodeID { return n.host.ID() }

// Epoch returns the current epoch.
func (n *Node) Epoch() uint64 { return n.view().epoch.Number }

// ValidatorIndex is this node's index in the set, or -1.
func (n *Node) ValidatorIndex() int { return n.view().self }

// ValidatorInfo describes one validator of the current epoch.
type ValidatorInfo struct {
	Index    int    `json:"index"`
	Name     string `json:"name"`
	Operator string `json:"operator"`
	NodeID   string `json:"node_id"`
	BLSKey   string `json:"bls_key"`
	NetAddr  string `json:"net_addr,omitempty"`
	Stake    uint64 `json:"stake"`
}

// Validators lists the current epoch's set in index order.
func (n *Node) Validators() []ValidatorInfo {
	return validatorInfos(n.view().epoch)
}

func validatorInfos(e *state.Epoch) []ValidatorInfo {
	out := make([]ValidatorInfo, len(e.Set))
	for i, m := range e.Set {
		out[i] = ValidatorInfo{Index: i, Name: m.Name, Operator: hex.EncodeToString(m.Operator[:]), NodeID: hex.EncodeToString(m.NodeID[:]),
			BLSKey: hex.EncodeToString(m.BLSKey), NetAddr: m.NetAddr, Stake: m.Power}
	}
	return out
}

// Status returns the latest committed height and round.
func (n *Node) Status() Status { return n.status.get() }

// Blobs is the node's off-chain content store.
func (n *Node) Blobs() *blob.Store { return n.blobs }

// Peers returns how many peers are connected.
func (n *Node) Peers() int { return len(n.host.Peers()) }

// Registry is the node's Prometheus registry.
func (n *Node) Registry() *prometheus.Registry { return n.metrics.reg }

// BlockAt returns the committed block at height. A height the store has
// indexed but the node has not reported yet (its block commits in a synced
// write before it is executed) is not found, so a client that sees a block
// also finds its receipts and state.
func (n *Node) BlockAt(h uint64) (*types.Block, error) {
	if h == 0 {
		return n.gblock, nil
	}
	latest := n.status.get().Height
	if h > latest {
		return nil, fmt.Errorf("height %d (latest is %d): %w", h, latest, ErrNotFound)
	}
	b, err := n.store.BlockAt(h)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("height %d (latest is %d): %w", h, latest, ErrNotFound)
	}
	return b, err
}

// TxResult is a committed transaction and its receipt.
type TxResult struct {
	Tx      *types.Tx
	Receipt state.Receipt
}

// receipt returns h's receipt once its height is reported. Execution
// writes receipts before the node reports their height; until then the
// transaction is not committed to a client, as its block is not (BlockAt).
func (n *Node) receipt(h types.Hash) (state.Receipt, error) {
	rc, err := n.machine.Receipt(h)
	if err != nil {
		return rc, err
	}
	if latest := n.status.get().Height; rc.Height > latest {
		return state.Receipt{}, fmt.Errorf("receipt at height %d (latest is %d): %w", rc.Height, latest, store.ErrNotFound)
	}
	return rc, nil
}

// Tx returns a committed transaction, or ErrNotFound.
func (n *Node) Tx(h types.Hash) (*TxResult, error) {
	rc, err := n.receipt(h)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("tx %s: %w", h, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	b, err := n.machine.BlockAt(rc.Height) // the block the receipt lookup read
	if err != nil || int(rc.Index) >= len(b.Txs) {
		return nil, fmt.Errorf("tx %s: block %d unreadable: %v", h, rc.Height, err)
	}
	return &TxResult{Tx: b.Txs[rc.Index], Receipt: rc}, nil
}

// Pending reports whether a transaction waits in the mempool.
func (n *Node) Pending(h types.Hash) bool { return n.pool.Has(h) }

// Submit verifies and admits transactions and gossips the admitted ones.
func (n *Node) Submit(txs []*types.Tx) []error {
	errs := n.pool.AddClient(txs)
	n.chargeChecks(errs)
	n.afterAdmit(errs)
	ok := make([]*types.Tx, 0, len(txs))
	now := time.Now()
	for i, err := range errs {
		if err == nil || errors.Is(err, mempool.ErrDuplicate) && n.stuck(txs[i], now) {
			ok = append(ok, txs[i])
		}
	}
	n.gossip.add(ok)
	return errs
}

// WaitCommitted blocks until h commits or ctx ends, and returns the height.
// A transaction in a committed block that execution skipped (its nonce
// out of order, in a faulty leader's block) has not committed: it stays
// pending, and the wait goes on.
func (n *Node) WaitCommitted(ctx context.Context, h types.Hash) (uint64, error) {
	for {
		ch, cancel := n.waiters.wait(h)
		if r, err := n.receipt(h); err == nil {
			cancel()
			return r.Height, nil // committed before we started waiting
		}
		select {
		case <-ch:
			cancel()
			if r, err := n.receipt(h); err == nil {
				return r.Height, nil
			}
		case <-ctx.Done():
			cancel()
			return 0, ctx.Err()
		}
	}
}

// Nonce returns an account's next nonce in committed state.
func (n *Node) Nonce(addr []byte) uint64 { return n.machine.Nonce(addr) }

// WaitHeight blocks until height h is committed or ctx ends.
func (n *Node) WaitHeight(ctx context.Context, h uint64) error {
	for {
		st, changed := n.status.watch()
		if st.Height >= h {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// regossipAfter is how long a transaction sits in the pool before a
// client's resubmission sends it to the peers again.
const regossipAfter = 5 * time.Second

// stuck reports whether a resubmitted transaction has waited in the pool
// long enough to be gossiped again. A client sending again what the pool
// holds may be retrying because nothing happened: the one gossip frame
// that carried it is best effort, and a full node never proposes it
// itself. A fresh duplicate is not sent again: clients resend batches in
// which part was refused, and re-gossiping all of those at load made
// every peer admit the same transactions over and over.
func (n *Node) stuck(tx *types.Tx, now time.Time) bool {
	since, ok := n.pool.HeldSince(tx.Hash())
	return ok && now.Sub(since) >= regossipAfter
}
