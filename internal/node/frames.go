package node

import (
	"slices"
	"sync"
	"time"

	"github.com/lazchain/lazchain/internal/mempool"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/types"
)

const (
	chanConsensus = p2p.ChanConsensus
	chanTxs       = p2p.ChanTxs
)

// Per-peer request limits. A node catching up asks for up to 64 blocks per
// request and for the rest at once; 32 answers a second from one peer keep
// it far ahead of any chain this code runs, while a hostile peer reads at
// most that many megabyte answers. Epoch proofs are asked for at most every
// few hundred milliseconds.
const (
	blockReqRate, blockReqBurst     = 32, 64
	epochProofRate, epochProofBurst = 4, 8
)

// onFrame runs on a peer's reader goroutine: decode and check here, off the
// driver loop; only valid consensus messages reach the inbox.
func (n *Node) onFrame(from p2p.NodeID, ch p2p.Channel, payload []byte) {
	switch ch {
	case chanConsensus:
		n.onConsensus(from, payload)
	case chanTxs:
		// Checking a batch's signatures takes milliseconds; doing it here
		// would hold this peer's consensus messages behind it. A full queue
		// drops the batch: gossip is best effort, consensus is not.
		if len(payload) > maxGossipFrame {
			n.metrics.rejected.WithLabelValues("tx_gossip_too_large").Inc()
			return // honest senders split batches at gossipMaxBytes
		}
		share := n.gossipShare(from)
		if !n.txqShare.take(share, len(payload)) {
			n.metrics.rejected.WithLabelValues("tx_gossip_overload").Inc()
			return
		}
		select {
		case n.txq <- gossiped{from: from, share: share, payload: payload}:
		default:
			n.txqShare.give(share, len(payload))
			n.metrics.rejected.WithLabelValues("tx_gossip_overload").Inc()
		}
	case p2p.ChanAttest:
		n.onAttest(from, payload)
	case p2p.ChanBlob:
		n.onBlob(from, payload)
	case p2p.ChanIDAO:
		n.onIDAOVote(from, payload)
	default:
		n.metrics.rejected.WithLabelValues("unknown_channel").Inc()
	}
}

func (n *Node) onConsensus(from p2p.NodeID, payload []byte) {
	msg, err := types.DecodeMessage(payload)
	if err != nil {
		n.metrics.rejected.WithLabelValues("malformed").Inc()
		return
	}
	v := n.view()
	switch m := msg.(type) {
	case *types.BlockRequest, *types.ChainRequest:
		// Anyone we trust may sync from us, at one rate for both kinds:
		// an answer is up to the message limit read from the store.
		if !n.blockReqs.allow(from) {
			n.metrics.rejected.WithLabelValues("rate_limited").Inc()
			return
		}
		if q, ok := m.(*types.ChainRequest); ok {
			n.serveChain(from, q)
		} else {
			n.serveBlocks(from, m.(*types.BlockRequest))
		}
		return
	case *types.EpochRequest:
		n.serveEpoch(from, m)
		return
	case *types.EpochProof:
		// Its QC is checked by the core like any other; who relayed it
		// does not matter, but each check is a pairing on the driver loop,
		// so a peer gets a few a second (askEpoch asks at most that often).
		// Peers nobody asked, neither members nor configured, share one
		// budget; a peer asked for the proof does not, or one such peer
		// flooding junk proofs could starve the answer a node behind
		// (whose old set may have left) asked for.
		_, member := v.byNode[from]
		wanted := member || n.configured[from] || n.epochs.askedRecently(from, time.Now())
		if !n.epochProofs.allow(from) || (!wanted && !n.outsiderProofs.allow(p2p.NodeID{})) {
			n.metrics.rejected.WithLabelValues("rate_limited").Inc()
			return
		}
		select {
		case n.inbox <- inbound{from: -1, msg: msg, at: time.Now(), relay: from}:
		case <-n.done:
		}
		return
	}
	if e, ok := types.MessageEpoch(msg); ok && e > v.epoch.Number {
		n.askEpoch(from, e) // the sender has moved on; learn how our epoch ended
		_, member := v.byNode[from]
		if e == v.epoch.Number+1 && n.early.keep(from, member || n.configured[from], msg, len(payload)) {
			// Replayed into the next epoch's core once we get there. The
			// driver may have got there (and emptied the box) since v was
			// read: then nobody else would take it until the epoch after.
			if now := n.view(); now.epoch.Number == e {
				n.replayEarly(now)
			}
			return
		}
		n.metrics.rejected.WithLabelValues("future_epoch").Inc()
		return
	}
	idx, isValidator := v.byNode[from]
	if _, ok := msg.(*types.BlockResponse); ok && n.askedOutside.recent(from, time.Now()) {
		// A node behind by epochs may have to sync from peers outside
		// the set it is stuck in (that set may have left): it takes
		// answers from the peers it asked (askElsewhere), and the core
		// only those it asked for that hash-chain to a certified id. A
		// validator asked in place of one not connected answers the same
		// way: to the core its answer is not from the peer a climb went to.
		if !n.outsiderBlocks.allow(from) {
			n.metrics.rejected.WithLabelValues("rate_limited").Inc()
			return
		}
		idx, isValidator = -1, true
	}
	if !isValidator {
		// Only the epoch's validators take part in consensus.
		n.metrics.rejected.WithLabelValues("not_validator").Inc()
		return
	}
	select {
	case n.inbox <- inbound{from: idx, msg: msg, at: time.Now()}: // blocking here slows this peer only
	case <-n.done:
	}
}

// serveBlocks answers from the store, which holds committed and pending
// blocks alike, so the driver loop is not involved.
func (n *Node) serveBlocks(to p2p.NodeID, req *types.BlockRequest) {
	var out []*types.Block
	id := req.ID
	// Full blocks are up to a few MiB: the answer stops at a byte budget
	// under the message limit, so a syncing peer always gets a frame it
	// can read (and at least one block).
	budget := types.MaxMessageBytes - types.MaxBlockBytes/4
	for len(out) < int(min(req.Count, types.MaxFetchBlocks)) {
		b, err := n.store.Block(id)
		if err != nil {
			if id == n.gblock.ID() {
				out = append(out, n.gblock)
			}
			break
		}
		if size := b.EncodedSize(); len(out) > 0 && size > budget {
			break
		} else {
			budget -= size
		}
		out = append(out, b)
		if b.Height == 0 {
			break
		}
		id = b.Parent
	}
	if len(out) > 0 {
		frame := types.EncodeMessage(&types.BlockResponse{Blocks: out})
		n.metrics.served.Add(float64(len(out)))
		n.metrics.servedBytes.Add(float64(len(frame)))
		n.host.Send(to, chanConsensus, frame)
	}
}

// serveChain answers a climb with committed blocks from the store, from
// the height asked for upward, newest first, within the same byte budget
// as serveBlocks. A height above this node's committed one gets no answer:
// the asker retries elsewhere.
func (n *Node) serveChain(to p2p.NodeID, req *types.ChainRequest) {
	up := chainBlocks(n.store.BlockAt, req)
	if len(up) == 0 {
		return
	}
	frame := types.EncodeMessage(&types.BlockResponse{Blocks: up})
	n.metrics.climbsServed.Inc()
	n.metrics.served.Add(float64(len(up)))
	n.metrics.servedBytes.Add(float64(len(frame)))
	n.host.Send(to, chanConsensus, frame)
}

// chainBlocks reads the committed blocks a climb asks for, newest first as
// block answers go: from req.From up, at most req.Count and
// MaxFetchBlocks of them and within one message's byte budget (the first
// block always fits). A height of 0 or above the tip gets none. An answer
// stays in one epoch: the next epoch's first block hangs off the epoch's
// root, not off the last block, so a climber would take a run across the
// boundary for a broken chain and drop all of it.
func chainBlocks(blockAt func(uint64) (*types.Block, error), req *types.ChainRequest) []*types.Block {
	var up []*types.Block
	budget := types.MaxMessageBytes - types.MaxBlockBytes/4
	for h := req.From; h > 0 && len(up) < int(min(req.Count, types.MaxFetchBlocks)); h++ {
		b, err := blockAt(h)
		if err != nil {
			break // above the committed tip, or not stored
		}
		if len(up) > 0 && b.Epoch != up[0].Epoch {
			break
		}
		if size := b.EncodedSize(); len(up) > 0 && size > budget {
			break
		} else {
			budget -= size
		}
		up = append(up, b)
	}
	slices.Reverse(up)
	return up
}

// serveEpoch answers with the QC that committed the last block of an
// epoch this node has finished.
func (n *Node) serveEpoch(to p2p.NodeID, req *types.EpochRequest) {
	if req.Epoch >= n.view().epoch.Number {
		return
	}
	if qc, err := n.store.EpochProof(req.Epoch); err == nil {
		n.host.Send(to, chanConsensus, types.EncodeMessage(&types.EpochProof{QC: qc}))
	}
}

// gossiped is a peer's transaction batch, still encoded.
type gossiped struct {
	from    p2p.NodeID
	share   p2p.NodeID // whose share of the queue it takes (gossipShare)
	payload []byte
}

// maxGossipFrame is the largest transaction gossip frame taken: a batch
// split at gossipMaxBytes, plus the transaction that crossed the line.
const maxGossipFrame = gossipMaxBytes + types.MaxTxBytes + 64

// gossipShare names the share of the gossip queue a peer's batches take:
// its own for the epoch's validators and configured peers; one for all
// others, which on an open network cost nothing to multiply and filled
// the queue, so that the validators' batches were dropped.
func (n *Node) gossipShare(from p2p.NodeID) p2p.NodeID {
	if _, member := n.view().byNode[from]; member || n.configured[from] {
		return from
	}
	return p2p.NodeID{}
}

// admit checks and adds transactions to the mempool and wakes a waiting
// leader. It returns one error per transaction.
func (n *Node) admit(txs []*types.Tx) []error { return n.admitWith(txs, true) }

func (n *Node) admitWith(txs []*types.Tx, verify bool) []error {
	var errs []error
	if verify {
		errs = n.pool.Add(txs)
		n.chargeChecks(errs)
	} else {
		errs = n.pool.AddVerified(txs)
	}
	n.afterAdmit(errs)
	return errs
}

// chargeChecks counts the signature checks an admission made against the
// spare-check budget, so that under load no batch is checked a third time.
func (n *Node) chargeChecks(errs []error) {
	checked := 0
	for _, err := range errs {
		if mempool.SigChecked(err) {
			checked++
		}
	}
	if checked > 0 {
		n.spare.charge(checked, time.Now())
	}
}

// afterAdmit wakes a waiting leader and updates the pool's gauges.
func (n *Node) afterAdmit(errs []error) {
	added := 0
	for _, err := range errs {
		if err == nil {
			added++
		}
	}
	if added > 0 {
		select {
		case n.kick <- struct{}{}:
		default:
		}
	}
	size, bytes := n.pool.Size()
	n.metrics.mempoolTxs.Set(float64(size))
	n.metrics.mempoolBytes.Set(float64(bytes))
}

// txWorker admits gossiped transaction batches off the peers' readers.
func (n *Node) txWorker() {
	for {
		select {
		case <-n.done:
			return
		case g := <-n.txq:
			n.onGossip(n.takeQueued(g))
		}
	}
}

// maxCheckTxs bounds the transactions one combined check takes from the
// queue, so a check never holds up attestations for long.
const maxCheckTxs = 2048

// takeQueued returns g and the batches queued behind it, up to about
// maxCheckTxs transactions' worth, decoded. Malformed ones are counted
// and left out.
func (n *Node) takeQueued(g gossiped) []decodedBatch {
	var out []decodedBatch
	size := 0
	for {
		n.txqShare.give(g.share, len(g.payload))
		txs, err := types.DecodeTxBatch(g.payload)
		if err != nil {
			n.metrics.rejected.WithLabelValues("malformed_txs").Inc()
		} else {
			out = append(out, decodedBatch{from: g.from, txs: txs})
			size += len(txs)
		}
		if size >= maxCheckTxs {
			return out
		}
		select {
		case g = <-n.txq:
		default:
			return out
		}
	}
}

// replayEarly hands the messages of epoch v kept in the early box to the
// driver, as any other message of that epoch.
func (n *Node) replayEarly(v *epochView) {
	for _, m := range n.early.take() {
		if e, _ := types.MessageEpoch(m.msg); e != v.epoch.Number {
			continue
		}
		idx, ok := v.byNode[m.from]
		if !ok {
			continue
		}
		select {
		case n.inbox <- inbound{from: idx, msg: m.msg, at: time.Now()}:
		case <-n.done:
			return
		}
	}
}

// queueShares bounds what one peer may have queued for the tx worker, so
// that one peer flooding gossip cannot fill the queue and crowd out every
// other peer's batches.
type queueShares struct {
	mu       sync.Mutex
	n        map[p2p.NodeID]int
	max      int
	bytes    int // queued in all
	maxBytes int // 0: no byte bound
}

// take counts one frame of size bytes against id's share and the queue's
// bytes; false when either is spent.
func (q *queueShares) take(id p2p.NodeID, size int) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n[id] >= q.max || (q.maxBytes > 0 && q.bytes+size > q.maxBytes) {
		return false
	}
	q.n[id]++
	q.bytes += size
	return true
}

func (q *queueShares) give(id p2p.NodeID, size int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.bytes -= size
	if q.n[id]--; q.n[id] <= 0 {
		delete(q.n, id)
	}
}

type decodedBatch struct {
	from p2p.NodeID
	txs  []*types.Tx
}

// onGossip routes each batch and checks together those checked here.
func (n *Node) onGossip(bs []decodedBatch) {
	var check []toCheck
	for _, b := range bs {
		if c, ok := n.routeBatch(b.from, b.txs); ok {
			check = append(check, c)
		}
	}
	n.checkBatches(check)
}
