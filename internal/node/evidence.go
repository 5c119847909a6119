package node

import (
	"crypto/ed25519"
	"sync"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
)

// reporter turns double votes the core saw into evidence transactions,
// signed by the node key (whose account collects the reporter's reward).
type reporter struct {
	// checking bounds the reports being checked at once (each up to two
	// signature checks); past it a report is dropped, as the core already
	// bounds how many one voter's round can make.
	checking chan struct{}
	mu       sync.Mutex
	next     uint64 // the nonce after the last one handed out
	inflight int    // nonces handed out whose transaction is not in the pool yet
	key      ed25519.PrivateKey
	known    map[[3]uint64]bool // (epoch, round, voter) already reported
}

// report checks both signatures off the driver loop and submits the
// evidence. Forged pairs are dropped here, so nobody can make this node
// pay for (or spam) evidence that the chain would reject.
func (n *Node) report(eq consensus.Equivocation, set *types.ValidatorSet) {
	id := [3]uint64{eq.Epoch, eq.Round, uint64(eq.Signer)<<8 | uint64(eq.Kind)}
	r := n.reporter
	r.mu.Lock()
	seen := r.known[id]
	r.mu.Unlock()
	if seen {
		return
	}
	// Checked before it is marked known: a forged pair must not stop the
	// real one for the same round from being reported.
	if !checkEquivocation(n.chainID, &eq, set) {
		n.metrics.rejected.WithLabelValues("forged_equivocation").Inc()
		return
	}
	r.mu.Lock()
	seen = r.known[id]
	r.known[id] = true
	r.mu.Unlock()
	if seen {
		return
	}
	body := staking.Evidence{Kind: eq.Kind, Epoch: eq.Epoch, Round: eq.Round, Signer: eq.Signer,
		BlockA: eq.BlockA, BlockB: eq.BlockB, SigA: eq.SigA, SigB: eq.SigB}.Encode()
	tx, err := n.submitOwn(staking.KindEvidence, body)
	if err != nil {
		n.log.Warn("evidence not admitted", "epoch", eq.Epoch, "round", eq.Round, "signer", eq.Signer, "err", err)
		return
	}
	n.log.Warn("equivocation reported", "kind", eq.Kind, "epoch", eq.Epoch, "round", eq.Round, "signer", eq.Signer, "tx", tx.Hash().Short())
}

// checkEquivocation verifies both signatures of a reported pair.
func checkEquivocation(chainID string, eq *consensus.Equivocation, set *types.ValidatorSet) bool {
	if eq.BlockA == eq.BlockB || int(eq.Signer) >= set.Len() {
		return false
	}
	a, b := eq.SigningBytes(chainID)
	return set.VerifySig(int(eq.Signer), a, eq.SigA) == nil && set.VerifySig(int(eq.Signer), b, eq.SigB) == nil
}

// submitOwn signs a transaction with the node key at the next nonce that
// neither this node nor its pool has used yet, and admits and gossips it.
func (n *Node) submitOwn(kind uint16, body []byte) (*types.Tx, error) {
	r := n.reporter
	// Past what the pool holds too: the operator may sign with this key.
	pub := r.key.Public().(ed25519.PublicKey)
	nonce := r.reserve(n.pool.NextNonce(pub, n.machine.Nonce(pub)))
	tx := &types.Tx{ChainID: n.chainID, Nonce: nonce, Kind: kind, Body: body}
	tx.Sign(r.key)
	// The node's own protocol transactions use the peers' share of the
	// pool: clients filling theirs must not keep evidence or epoch
	// signatures out.
	errs := n.admit([]*types.Tx{tx})
	r.release(nonce, errs[0] == nil)
	if errs[0] != nil {
		return nil, errs[0]
	}
	n.gossip.add([]*types.Tx{tx})
	return tx, nil
}

// reserve hands out the nonce for the node's next own transaction, given
// the first one from the committed nonce up that the pool does not hold.
// That is the answer once earlier ones are in the pool; only while some
// are on their way in does the reporter count past it. Counting past it
// always, a transaction of the node's that left the pool uncommitted (a
// block whose execution skipped it) left a gap that every later one of
// the node's waited behind for good.
func (r *reporter) reserve(poolNext uint64) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	nonce := poolNext
	if r.inflight > 0 {
		nonce = max(nonce, r.next)
	}
	r.next, r.inflight = nonce+1, r.inflight+1
	return nonce
}

// release ends nonce's reservation; one not admitted is free again.
func (r *reporter) release(nonce uint64, admitted bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inflight--
	if !admitted && r.next == nonce+1 {
		r.next = nonce
	}
}
