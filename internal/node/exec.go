package node

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lazchain/lazchain/internal/types"
)

// executor runs committed blocks on a goroutine of its own. A block of a
// few thousand transactions takes tens of milliseconds to execute and
// write; on the driver that time held up the next round's proposal and
// votes. Now the driver hands committed blocks over once their commit is
// durable and goes on with consensus, and the core learns the results
// (Executed) when they are ready. A vote that needs a result not yet
// computed waits in the core, as it did before. Its thread is bulk work
// for the kernel (markBulk): a consensus thread that wakes preempts it,
// which halved the runs at 20,000 tx/s whose p99 went over 500 ms
// (BENCHMARKS.md, sixteenth sitting).
//
// Blocks run in commit order. The executor never waits for the driver:
// results queue in a slice, so the driver may block on a full job queue
// (back-pressure) or on a barrier without a deadlock.
type executor struct {
	run    func([]*types.Block) ([]types.StateRef, error)
	jobs   chan execJob
	quit   chan struct{} // closed when the goroutine has returned
	queued atomic.Int64  // block jobs submitted and not yet run
	blocks atomic.Int64  // blocks in those jobs

	ready chan struct{} // a result or a failure is waiting
	mu    sync.Mutex
	refs  []types.StateRef
	err   error
}

// execJob is either committed blocks to run, or a barrier closed once
// every earlier job is done.
type execJob struct {
	blocks  []*types.Block
	barrier chan struct{}
}

// inlineTxs is the most transactions the driver executes itself, when
// nothing is queued. Blocks that small take about a millisecond: handing
// them to another goroutine would cost a wake-up on a busy machine and
// delay the commit's acknowledgement for nothing.
const inlineTxs = 256

// execQueue and execMaxBlocks bound how far execution may fall behind
// commits. The driver names what is committed but not executed by walking
// the core's recent blocks (pendingNonces); the core keeps every committed
// block above the executed height for that walk (Core.pruneFloor).
const (
	execQueue     = 8
	execMaxBlocks = 128
)

// newExecutor starts the goroutine. start, if set, runs on it first (the
// node marks its thread as bulk work: see markBulk).
func newExecutor(run func([]*types.Block) ([]types.StateRef, error), start func()) *executor {
	e := &executor{run: run, jobs: make(chan execJob, execQueue), quit: make(chan struct{}), ready: make(chan struct{}, 1)}
	go e.loop(start)
	return e
}

func (e *executor) loop(start func()) {
	defer close(e.quit)
	if start != nil {
		start()
	}
	for j := range e.jobs {
		if j.barrier != nil {
			close(j.barrier)
			continue
		}
		if e.failed() {
			// The driver stops on the error; keep the queue moving.
			e.blocks.Add(-int64(len(j.blocks)))
			e.queued.Add(-1)
			continue
		}
		refs, err := e.run(j.blocks)
		e.blocks.Add(-int64(len(j.blocks)))
		e.mu.Lock()
		e.refs = append(e.refs, refs...)
		if err != nil {
			e.err = err
		}
		e.mu.Unlock()
		e.queued.Add(-1)
		select {
		case e.ready <- struct{}{}:
		default:
		}
	}
}

func (e *executor) failed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err != nil
}

// submit queues committed blocks. It blocks while execQueue jobs are
// waiting, and waits for all of them first when they hold execMaxBlocks
// blocks (a node syncing commits up to 64 at a time).
func (e *executor) submit(blocks []*types.Block) error {
	if len(blocks) == 0 {
		return nil
	}
	if e.blocks.Load()+int64(len(blocks)) > execMaxBlocks {
		if err := e.wait(); err != nil {
			return err
		}
	}
	e.queued.Add(1)
	e.blocks.Add(int64(len(blocks)))
	e.jobs <- execJob{blocks: blocks}
	return nil
}

// inline runs small blocks on the caller when nothing is queued, so they
// cannot overtake earlier ones. It returns the results still waiting from
// earlier jobs followed by these blocks' own, or ok false when the blocks
// must be submitted instead. Only the one goroutine that submits may call it.
func (e *executor) inline(blocks []*types.Block) (refs []types.StateRef, ok bool, err error) {
	txs := 0
	for _, b := range blocks {
		txs += len(b.Txs)
	}
	if txs > inlineTxs || e.queued.Load() > 0 {
		return nil, false, nil
	}
	earlier, err := e.take()
	if err != nil || len(blocks) == 0 {
		return earlier, true, err
	}
	mine, err := e.run(blocks)
	return append(earlier, mine...), true, err
}

// take returns the results so far, and the failure if execution failed.
func (e *executor) take() ([]types.StateRef, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	refs := e.refs
	e.refs = nil
	return refs, e.err
}

// wait returns once every block submitted so far has run. Their results
// stay for take.
func (e *executor) wait() error {
	b := make(chan struct{})
	e.jobs <- execJob{barrier: b}
	<-b
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// stop lets queued jobs finish and returns when the goroutine has.
func (e *executor) stop() {
	close(e.jobs)
	<-e.quit
}

// execute runs committed blocks, writes their state changes unsynced (a
// crash is repaired by catchUpState), then carries out what follows a
// commit: the mempool, waiting clients, the reported height.
func (n *Node) execute(blocks []*types.Block) ([]types.StateRef, error) {
	t0 := time.Now()
	kvs := n.machine.Apply(blocks)
	if err := n.store.WriteState(kvs, false); err != nil {
		return nil, fmt.Errorf("persist state: %w", err)
	}
	n.metrics.execute.Observe(time.Since(t0).Seconds())
	n.machine.Flushed()
	refs := n.machine.Executed()
	n.finishCommits(blocks)
	return refs, nil
}

// finishCommits tells everyone who waits on executed blocks. The height
// is reported first: a receipt counts as committed only at a reported
// height (Node.receipt), so a transaction is pending in the pool until a
// client can see its block and events.
func (n *Node) finishCommits(blocks []*types.Block) {
	last := blocks[len(blocks)-1]
	n.status.set(last.Height, last.ID(), 0)
	n.metrics.height.Set(float64(last.Height))
	n.stall.committed(time.Now())
	for _, b := range blocks {
		// Only now: execution skips the signature checks of transactions
		// the pool still holds.
		n.pool.Commit(b.Txs)
		n.poolHeight.Store(b.Height)
		n.metrics.committedTxs.Add(float64(len(b.Txs)))
		for _, tx := range b.Txs {
			n.waiters.done(tx.Hash(), b.Height)
		}
	}
	// The pool shrank: the gauges, set on admission only, stayed at their
	// peak once the load stopped.
	size, bytes := n.pool.Size()
	n.metrics.mempoolTxs.Set(float64(size))
	n.metrics.mempoolBytes.Set(float64(bytes))
	if n.attestor != nil {
		n.attestor.Notify()
	}
}
