package node

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/mempool"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/safety"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

// Node is one lazchain process.
type Node struct {
	cfg     config.Config
	genesis *config.Genesis
	set     *types.ValidatorSet
	gblock  *types.Block
	self    int // validator index, -1 for a full node
	nodeIDs []p2p.NodeID
	byNode  map[p2p.NodeID]int
	log     *slog.Logger

	store   *store.Store
	machine *state.Machine
	pool    *mempool.Pool
	host    *p2p.Host
	core    *consensus.Core
	metrics *metrics

	inbox    chan inbound
	txq      chan []byte // gossiped tx batches waiting for admission
	kick     chan struct{}
	waiters  *waiters
	gossip   *gossiper
	status   statusBox
	seen     map[types.Hash]time.Time // block first seen, for commit latency
	done     chan struct{}
	closeOne sync.Once
}

type inbound struct {
	from int
	msg  types.Message
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
	set, err := o.Genesis.ValidatorSet()
	if err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	n := &Node{cfg: o.Config, genesis: o.Genesis, set: set, self: -1, log: o.Logger,
		inbox: make(chan inbound, 8192), txq: make(chan []byte, 256), done: make(chan struct{}), kick: make(chan struct{}, 1), waiters: newWaiters(),
		seen: map[types.Hash]time.Time{}}
	n.gblock = types.GenesisBlock(set.ChainID, set.Epoch)
	n.nodeIDs = o.Genesis.NodeIDs()
	n.byNode = map[p2p.NodeID]int{}
	for i, id := range n.nodeIDs {
		n.byNode[id] = i
	}
	if o.BLSKey != nil {
		if n.self = set.IndexOf(o.BLSKey.PublicKey().Bytes()); n.self < 0 {
			n.log.Warn("BLS key is not in the genesis validator set; running as a full node")
		} else if n.nodeIDs[n.self] != p2p.IDOf(o.NodeKey.Public().(ed25519.PublicKey)) {
			return nil, fmt.Errorf("node key does not match genesis node_id of validator %d (%s)", n.self, o.Genesis.Validators[n.self].Name)
		}
	}
	if n.store, err = store.Open(filepath.Join(o.Home, config.DataDir)); err != nil {
		return nil, err
	}
	// Transactions the mempool verified skip a second check at execution.
	n.machine = state.New(set.ChainID, n.store, func(h types.Hash) bool { return n.pool.Has(h) })
	n.pool = mempool.New(mempool.Config{ChainID: set.ChainID, MaxTxs: o.Config.Mempool.MaxTxs, MaxBytes: o.Config.Mempool.MaxBytes, Nonce: n.machine.Nonce})
	n.metrics = newMetrics()
	if err := n.buildCore(o.BLSKey); err != nil {
		n.store.Close()
		return nil, err
	}
	if err := n.buildHost(o.NodeKey); err != nil {
		n.store.Close()
		return nil, err
	}
	n.gossip = newGossiper(n.host, n.log)
	n.metrics.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "lazchain_peers", Help: "Connected peers."},
		func() float64 { return float64(len(n.host.Peers())) }))
	return n, nil
}

func (n *Node) buildCore(key *bls.SecretKey) error {
	snap, err := n.store.Snapshot(n.gblock)
	if err != nil {
		return fmt.Errorf("recover consensus state: %w", err)
	}
	var signer consensus.Signer
	if n.self >= 0 {
		rules, err := safety.New(n.set.ChainID, key, n.store.SafetyStorage())
		if err != nil {
			return err
		}
		if err := rules.StartEpoch(n.set.Epoch, uint32(n.self)); err != nil {
			return err
		}
		signer = rules
	}
	p := n.genesis.Consensus
	n.core, err = consensus.New(consensus.Config{
		Set: n.set, Self: n.self, BaseTimeout: p.BaseTimeoutMs, MaxTimeout: p.MaxTimeoutMs, KeepCommitted: 256,
		AuthenticatedSenders: true, // p2p pins each connection to a genesis node key
	}, signer, snap)
	if err != nil {
		return fmt.Errorf("consensus core: %w", err)
	}
	n.status.set(snap.Committed.Height, snap.Committed.ID(), 0)
	return nil
}

func (n *Node) buildHost(key ed25519.PrivateKey) error {
	peers, err := n.cfg.PeerAddrs()
	if err != nil {
		return err
	}
	trusted := map[p2p.NodeID]bool{}
	for _, id := range n.nodeIDs {
		trusted[id] = true
	}
	for _, p := range peers {
		trusted[p.ID] = true
	}
	n.host, err = p2p.New(p2p.Config{
		Key: key, Listen: n.cfg.P2P.Listen, Peers: peers, DialAll: n.self < 0,
		Trusted: func(id p2p.NodeID) bool { return n.cfg.P2P.Open || trusted[id] }, Logger: n.log,
	}, n.onFrame)
	return err
}

// Run starts the network and the driver loop and blocks until ctx ends.
func (n *Node) Run(ctx context.Context) error {
	if err := n.host.Start(); err != nil {
		return err
	}
	go n.gossip.run(ctx)
	go n.txWorker()
	n.log.Info("node started", "chain", n.set.ChainID, "validator", n.self, "p2p", n.host.Addr(), "height", n.status.get().Height)
	err := n.loop(ctx)
	n.Close()
	return err
}

// Close stops the network and closes the store.
func (n *Node) Close() {
	n.closeOne.Do(func() {
		close(n.done)
		n.host.Close()
		n.store.Close()
	})
}
