package node

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lazchain/lazchain/internal/attestor"
	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/blobnet"
	"github.com/lazchain/lazchain/internal/bulk"
	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/mempool"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/safety"
	"github.com/lazchain/lazchain/internal/sigbatch"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// Node is one lazchain process.
type Node struct {
	cfg      config.Config
	genesis  *config.Genesis
	chainID  string
	gblock   *types.Block
	nodeID   p2p.NodeID
	rules    *safety.Rules // nil without a BLS key
	durable  safety.Data   // the rules' data as last written, on the driver
	blsKey   *bls.SecretKey
	reporter *reporter
	cur      atomic.Pointer[epochView]
	log      *slog.Logger

	epochs      *epochAsker         // peers heard from in a later epoch, and whom to ask
	configured  map[p2p.NodeID]bool // p2p.peers; read-only after New
	staticPeers []p2p.PeerAddr      // p2p.peers as configured; read-only after New

	store    *store.Store
	blobs    *blob.Store
	blobnet  *blobnet.Net
	attestor *attestor.Attestor
	// verifyHook replaces the verifiers (nil: the real ones); only tests
	// set it, to make a Byzantine member.
	verifyHook func(context.Context, verify.Input) (verify.Result, error)
	machine    *state.Machine
	pool       *mempool.Pool
	host       *p2p.Host
	core       *consensus.Core
	metrics    *metrics

	inbox     chan inbound
	txq       chan gossiped    // gossiped tx batches waiting for admission
	txqShare  queueShares      // per peer a quarter of txq, and at most maxGossipQueueBytes in all
	vouched   chan []*types.Tx // batches attested enough, waiting for admission
	attest    *attestBook
	badGossip *p2p.Pacer  // paces the warning about peers gossiping bad signatures
	stall     *stallWatch // warns when nothing commits
	indexFail failWatch   // logs the transaction index's write failures
	spare     *spareChecks
	early     earlyBox
	// Per-peer limits on requests that cost this node far more than the
	// sender (see limiter).
	blockReqs, epochProofs *limiter
	// outsiderProofs is one budget of epoch proofs shared by every peer
	// that is neither a validator nor configured: under p2p.open each key
	// would otherwise bring its own, and each proof is a pairing check.
	outsiderProofs *limiter
	outsiderBlocks *limiter      // block answers from peers outside the epoch's set
	fallback       atomic.Uint64 // rotates block requests over connected peers
	askedOutside   askedSet      // peers outside the set asked for blocks
	kick           chan struct{}
	straggle       stragglerWaits // driver loop only
	waiters        *waiters
	gossip         *gossiper
	status         statusBox
	seen           map[types.Hash]time.Time // block first seen, for commit latency
	// poolHeight is the last committed height the mempool was told of.
	poolHeight atomic.Uint64
	exec       *executor
	sigs       *sigbatch.Batcher // checks admissions' signatures together
	done       chan struct{}
	closeOne   sync.Once
	// bg tracks the node's own goroutines, and stopBG ends those that run
	// on Run's context: Close waits for them before it closes the store,
	// which Pebble does not allow reads of afterwards.
	bg     sync.WaitGroup
	stopBG context.CancelFunc
}

// spawn runs f on a goroutine that Close waits for.
func (n *Node) spawn(f func()) {
	n.bg.Add(1)
	go func() {
		defer n.bg.Done()
		f()
	}()
}

type inbound struct {
	from int
	msg  types.Message
	at   time.Time // when it was queued
	// relay is the peer that sent an epoch proof (from is -1 for those:
	// who relayed one does not matter to the core).
	relay p2p.NodeID
}

// sigBatchMax is the most signatures checked in one call: past about a
// thousand, batch verification gains little more per signature, and a
// larger batch would keep the first request waiting longer.
const sigBatchMax = 1024

// sigWorkers is how many cores the signature batcher may use at once:
// all but one (one on a single core). Go does not preempt a running
// goroutine for about 10 ms, so a batch split over every P left a
// proposal's reader, the driver loop and a vote's sender queued behind
// signature checks at every hop of a round. One core still checks over
// 50,000 signatures a second in large batches, four times a validator's
// share at 20,000 tx/s. The workers' threads are bulk work for the kernel
// too (markBulk); BENCHMARKS.md, fifteenth sitting, has the runs.
func sigWorkers() int { return runtime.GOMAXPROCS(0) - 1 }

// bulkSlice is a signature worker's time slice: long enough for a chunk
// of 512 checks (types.VerifyTxsOn; about 8 ms) to run without a switch,
// while a consensus thread that wakes with the default slice (0.75 ms
// times 1 + log2 of the cores) preempts it.
const bulkSlice = 20 * time.Millisecond

// markBulk runs first on each signature worker and on the executor: see
// package bulk. Both do work in pieces of milliseconds whose latency a
// round rarely waits on (a vote waits for an execution result in about
// one round in ten at 20,000 tx/s), and together they are about half of
// a validator's CPU there.
func (n *Node) markBulk() {
	if err := bulk.Mark(bulkSlice); err != nil {
		n.log.Info("bulk work keeps the default scheduling", "err", err)
	}
}

// Options are what a node needs beyond its home's files.
type Options struct {
	Home    string
	Config  config.Config
	Genesis *config.Genesis
	NodeKey ed25519.PrivateKey
	BLSKey  *bls.SecretKey // nil for a full node
	Logger  *slog.Logger
}

// New opens the store and builds every component; Run starts them.
func New(o Options) (*Node, error) {
	gs, err := o.Genesis.State()
	if err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	n := &Node{cfg: o.Config, genesis: o.Genesis, chainID: o.Genesis.ChainID, log: o.Logger,
		nodeID: p2p.IDOf(o.NodeKey.Public().(ed25519.PublicKey)),
		inbox:  make(chan inbound, 8192), txq: make(chan gossiped, 256), txqShare: queueShares{n: map[p2p.NodeID]int{}, max: 64, maxBytes: maxGossipQueueBytes}, vouched: make(chan []*types.Tx, 1024), attest: newAttestBook(), badGossip: p2p.NewPacer(time.Minute), spare: newSpareChecks(spareRate, spareBurst),
		blockReqs: newLimiter(blockReqRate, blockReqBurst), epochProofs: newLimiter(epochProofRate, epochProofBurst),
		outsiderProofs: newLimiter(epochProofRate, epochProofBurst),
		outsiderBlocks: newLimiter(blockReqRate, blockReqBurst), done: make(chan struct{}), kick: make(chan struct{}, 1), waiters: newWaiters(),
		seen: map[types.Hash]time.Time{}, epochs: newEpochAsker()}
	n.gblock = types.GenesisBlock(n.chainID, o.Genesis.Epoch)
	// Ten round timeouts with nothing committed is a stall, not a slow
	// round: an idle chain still commits an empty block every 200 ms.
	n.indexFail = failWatch{what: "transaction index writes", every: time.Minute}
	n.stall = newStallWatch(max(10*time.Second, 10*time.Duration(o.Genesis.Consensus.BaseTimeoutMs)*time.Millisecond), time.Minute, time.Now())
	n.reporter = &reporter{key: o.NodeKey, known: map[[3]uint64]bool{}, checking: make(chan struct{}, 4)}
	if n.blobs, err = blob.Open(filepath.Join(o.Home, "blobs")); err != nil {
		return nil, err
	}
	n.blobs.SetLimits(o.Config.Blobs.MaxBytes, o.Config.Blobs.ReserveBytes)
	if n.store, err = store.Open(filepath.Join(o.Home, config.DataDir)); err != nil {
		return nil, err
	}
	fail := func(err error) (*Node, error) {
		if n.sigs != nil {
			n.sigs.Close()
		}
		if n.machine != nil {
			// Its index writer may hold a batch from catching up.
			n.machine.Close()
		}
		n.store.Close()
		return nil, err
	}
	// Transactions the mempool verified skip a second check at execution.
	if n.machine, err = state.New(n.chainID, n.store, func(txs []*types.Tx) []bool { return n.pool.HasAll(txs) }, gs); err != nil {
		return fail(err)
	}
	n.metrics = newMetrics()
	n.sigs = sigbatch.New(sigbatch.Config{
		Verify: func(txs []*types.Tx) []bool {
			n.metrics.sigBatch.Observe(float64(len(txs)))
			return types.VerifyTxsOn(txs, 1)
		},
		Limit: sigBatchMax, Workers: sigWorkers(), Start: n.markBulk,
		// Light: the spare-check budget is not used up (spare.go).
		Light: func() bool { return n.spare.light(time.Now()) },
	})
	n.pool = mempool.New(mempool.Config{ChainID: n.chainID, MaxTxs: o.Config.Mempool.MaxTxs, MaxBytes: o.Config.Mempool.MaxBytes,
		Nonce: n.machine.Nonce, Verify: n.sigs.Verify})
	if err := n.catchUpState(); err != nil {
		return fail(err)
	}
	if o.BLSKey != nil {
		n.blsKey = o.BLSKey
		if n.rules, err = safety.New(n.chainID, o.BLSKey, n.store.SafetyStorage()); err != nil {
			return fail(err)
		}
		n.durable = n.rules.Data() // loaded from disk
	}
	if err := n.startEpoch(); err != nil {
		return fail(err)
	}
	if o.BLSKey != nil && n.view().self < 0 {
		n.log.Info("BLS key is not in the current validator set; following as a full node until it is")
	}
	if err := n.buildHost(o.NodeKey); err != nil {
		return fail(err)
	}
	n.gossip = newGossiper(n.host, n.log)
	n.buildIDAO()
	e := n.view().epoch
	n.spawn(func() { n.signEpochChange(e) }) // in case a crash came before it was sent
	n.metrics.reg.MustRegister(newStoreCollector(n.store.Stats))
	for _, on := range []string{"caller", "worker"} {
		n.metrics.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "lazchain_sig_checks_total",
			Help:        "Transaction signatures the batcher checked, by where: caller (at once on the admitting goroutine: idle, lightly loaded) or worker (queued for a bulk worker thread, under load).",
			ConstLabels: prometheus.Labels{"on": on}}, func() float64 {
			c, w := n.sigs.Checked()
			if on == "caller" {
				return float64(c)
			}
			return float64(w)
		}))
	}
	n.metrics.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "lazchain_peers", Help: "Connected peers."},
		func() float64 { return float64(len(n.host.Peers())) }))
	n.metrics.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "lazchain_p2p_dropped_frames_total",
		Help: "Best-effort frames (gossip, attestations, chunks) dropped because a peer's queue was full."},
		func() float64 { return float64(n.host.Dropped()) }))
	n.metrics.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "lazchain_txindex_failing",
		Help: "1 while the transaction index's last bulk write failed (its entries wait in memory for the next)."},
		func() float64 {
			if n.machine.IndexErr() != nil {
				return 1
			}
			return 0
		}))
	n.metrics.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "lazchain_exec_sig_checks_total",
		Help: "Transaction signatures execution checked itself: committed before this node admitted them."},
		func() float64 { return float64(n.machine.SigChecks()) }))
	return n, nil
}

func (n *Node) buildHost(key ed25519.PrivateKey) error {
	peers, err := n.cfg.PeerAddrs()
	if err != nil {
		return err
	}
	n.staticPeers = peers
	n.configured = map[p2p.NodeID]bool{}
	for _, p := range peers {
		n.configured[p.ID] = true
	}
	// Without p2p.open, only configured peers and the current epoch's
	// validators may connect.
	trusted := func(id p2p.NodeID) bool {
		if n.cfg.P2P.Open || n.configured[id] {
			return true
		}
		_, ok := n.view().byNode[id]
		return ok
	}
	// Configured peers and validators always get a connection; with
	// p2p.open, others share what is left of the peer limit.
	reserved := func(id p2p.NodeID) bool {
		_, member := n.view().byNode[id]
		return member || n.configured[id]
	}
	n.host, err = p2p.New(p2p.Config{
		Key: key, Listen: n.cfg.P2P.Listen, Peers: peers, DialAll: n.view().self < 0,
		Trusted: trusted, Reserved: reserved, Logger: n.log,
	}, n.onFrame)
	return err
}

// Run starts the network and the driver loop and blocks until ctx ends.
func (n *Node) Run(ctx context.Context) error {
	if err := n.host.Start(); err != nil {
		return err
	}
	ctx, n.stopBG = context.WithCancel(ctx)
	n.dialPeers()
	n.spawn(func() { n.gossip.run(ctx) })
	n.spawn(n.txWorker)
	n.spawn(n.vouchedWorker)
	n.spawn(n.sweepAttest)
	n.runIDAO(ctx)
	n.log.Info("node started", "chain", n.chainID, "epoch", n.view().epoch.Number, "validator", n.view().self, "p2p", n.host.Addr(), "height", n.status.get().Height)
	err := n.loop(ctx)
	n.Close()
	return err
}

// Close stops the network and closes the store.
func (n *Node) Close() {
	n.closeOne.Do(func() {
		close(n.done)
		if n.stopBG != nil {
			n.stopBG()
		}
		n.sigs.Close()
		n.host.Close()
		n.bg.Wait()
		if err := n.machine.Close(); err != nil {
			n.log.Warn("write transaction index", "err", err)
		}
		n.store.Close()
	})
}
