package attestor

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/blobnet"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// Chain is the committed state the attestor reads.
type Chain interface {
	IDAOs() *idao.State
	Artifact(id types.Hash) (*idao.Artifact, error)
	Dispute(id types.Hash) (*idao.Dispute, error)
	Staking() *staking.State
}

// Config wires an attestor to its node.
type Config struct {
	ChainID string
	Key     *bls.SecretKey
	Chain   Chain
	Blobs   *blob.Store
	Fetch   func(context.Context, blobnet.Want) error
	Send    func(to p2p.NodeID, payload []byte) bool
	Submit  func(kind uint16, body []byte) error
	Log     *slog.Logger
	// Workers and Queue size each iDAO's pool.
	Workers, Queue int
	// Backup is how long each member after the designated aggregator (in
	// seat order) waits in turn, once its tally reached the threshold,
	// before it submits the certificate itself.
	Backup time.Duration
	// Verify runs a verifier; nil means verify.Run. Tests put a Byzantine
	// verifier here.
	Verify func(context.Context, verify.Input) (verify.Result, error)
	// Fault makes this member Byzantine (fault-injection tests only);
	// Honest by default.
	Fault Fault
	// DisputeWorkers rule on disputes in parallel (default 2); at most
	// MaxDisputes (default 16) are being fetched and verified at once.
	DisputeWorkers, MaxDisputes int
	// UnavailableAfter is how long a validator keeps trying to fetch an
	// artifact disputed as unavailable before it rules that it is
	// (default 30 s).
	UnavailableAfter time.Duration
	// Height reports the latest committed height. With it, a validator
	// also stops retrying once half of an unavailability dispute's window
	// has passed: the window is counted in blocks, and on a fast chain it
	// can be shorter than UnavailableAfter, so the ruling would come too
	// late to count.
	Height func() uint64
}

// Stats counts what the attestor did.
type Stats struct {
	Verified, Invalid, Votes, Certificates, FetchFailures atomic.Uint64
	// RulingVotes counts the dispute votes this validator signed, Rulings
	// the ruling transactions it submitted.
	RulingVotes, Rulings atomic.Uint64
}

// Attestor runs the committee duties of one node.
type Attestor struct {
	cfg     Config
	Stats   Stats
	conduct conduct
	pk      []byte // this node's BLS public key
	kick    chan struct{}
	inbox   chan Vote // from peers, for tallyLoop
	// Disputes: rulingInbox feeds tallyLoop, disputeJobs the dispute
	// workers; openDisputes reads the chain's open disputes.
	rulingInbox  chan RulingVote
	disputeJobs  chan disputeJob
	openDisputes func() []idao.OpenDispute

	mu        sync.Mutex
	pools     map[string]*pool
	started   map[startKey]bool // (artifact, rotation) voted or in progress
	sent      map[startKey]*sentVote
	results   map[types.Hash]verify.Result
	checking  map[types.Hash]chan struct{}      // closed when that check ends
	stopCheck map[types.Hash]context.CancelFunc // ends a running check once its artifact is settled
	wg        sync.WaitGroup                    // every goroutine Run started
	retry     map[types.Hash]time.Time          // not before
	tallies   map[tallyKey]*tally
	seatVotes map[seatKey]tallyKey         // the tally each seat's checked vote is in
	batchKeys map[types.Hash]idao.BatchKey // tally subjects that are batches
	batches   map[batchRun]time.Time       // when this member voted on (or gave up on) a batch
	votes     int                          // in all tallies, bounded by maxVotes
	early     map[p2p.NodeID]int           // votes held per peer for subjects not yet committed here
	beaconFor uint64                       // the rotation this node last contributed to

	runs         map[types.Hash]*disputeRun // open disputes this validator rules on
	disputesBusy int                        // runs with a job queued or running
	rulings      *rulingBook
	view         rulingView
}

type startKey struct {
	artifact types.Hash
	rotation uint64
}

// sentVote is this member's vote on an artifact in a rotation, sent again
// now and then while the artifact waits for its certificate: a peer may
// have dropped it (a full queue, a seat taken by a junk early vote, an
// arrival before the rotation's committee was known there).
type sentVote struct {
	j       job
	payload []byte
	at      time.Time
}

// resendVoteEvery is how often a member sends its vote on a pending
// artifact again.
const resendVoteEvery = 10 * time.Second

// maxVotes bounds the votes held in memory; beyond it new votes are
// dropped and their senders' votes arrive again with the next rotation.
const maxVotes = 200_000

// New returns an attestor; Run starts it.
func New(cfg Config) *Attestor {
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 1024
	}
	if cfg.Backup <= 0 {
		cfg.Backup = 3 * time.Second
	}
	if cfg.Verify == nil {
		cfg.Verify = verify.Run
	}
	if cfg.DisputeWorkers <= 0 {
		cfg.DisputeWorkers = 2
	}
	if cfg.MaxDisputes <= 0 {
		cfg.MaxDisputes = 16
	}
	if cfg.UnavailableAfter <= 0 {
		cfg.UnavailableAfter = 30 * time.Second
	}
	a := &Attestor{cfg: cfg, conduct: conductOf(cfg.Fault), pk: cfg.Key.PublicKey().Bytes(), kick: make(chan struct{}, 1), inbox: make(chan Vote, 16384), pools: map[string]*pool{},
		started: map[startKey]bool{}, sent: map[startKey]*sentVote{}, results: map[types.Hash]verify.Result{}, checking: map[types.Hash]chan struct{}{}, stopCheck: map[types.Hash]context.CancelFunc{}, retry: map[types.Hash]time.Time{}, tallies: map[tallyKey]*tally{}, seatVotes: map[seatKey]tallyKey{}, batchKeys: map[types.Hash]idao.BatchKey{}, batches: map[batchRun]time.Time{}, early: map[p2p.NodeID]int{},
		rulingInbox: make(chan RulingVote, 4096), disputeJobs: make(chan disputeJob, cfg.MaxDisputes), runs: map[types.Hash]*disputeRun{}, rulings: newRulingBook()}
	a.openDisputes = func() []idao.OpenDispute { return cfg.Chain.IDAOs().OpenDisputes() }
	return a
}

// Notify tells the attestor a block committed. It never blocks.
func (a *Attestor) Notify() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// Run dispatches work until ctx ends, and returns once every goroutine it
// started has stopped.
func (a *Attestor) Run(ctx context.Context) {
	// Two tally goroutines: one may be checking an aggregate while the
	// other keeps counting.
	a.wg.Go(func() { a.tallyLoop(ctx) })
	a.wg.Go(func() { a.tallyLoop(ctx) })
	for i := 0; i < a.cfg.DisputeWorkers; i++ {
		a.wg.Go(func() { a.disputeWorker(ctx) })
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	a.dispatch(ctx) // at once: disputes left open by a restart are found here
	for {
		select {
		case <-ctx.Done():
			a.mu.Lock()
			for _, p := range a.pools {
				close(p.jobs)
			}
			a.pools = map[string]*pool{}
			a.mu.Unlock()
			// The node closes its store once Run returns: nothing started
			// here may read it after that.
			a.wg.Wait()
			return
		case <-a.kick:
			a.dispatch(ctx)
		case <-tick.C:
			a.dispatch(ctx)
		}
	}
}

// self returns this node's validator operator, found by its BLS key.
func (a *Attestor) self(st *staking.State) (staking.Address, bool) {
	pk := a.cfg.Key.PublicKey().Bytes()
	for _, v := range st.Validators() {
		if string(v.BLSKey) == string(pk) {
			return v.Operator, true
		}
	}
	return staking.Address{}, false
}
