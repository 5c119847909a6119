package node

import (
	"regexp"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/lazchain/lazchain/internal/consensus"
)

// metrics are the node's Prometheus series, in a registry of its own so
// that several nodes in one test process do not collide.
type metrics struct {
	reg           *prometheus.Registry
	height        prometheus.Gauge
	epoch         prometheus.Gauge
	round         prometheus.Gauge
	demoted       prometheus.Gauge
	demotions     prometheus.Counter
	stragglers    *prometheus.CounterVec
	stragglerWait prometheus.Histogram
	mempoolTxs    prometheus.Gauge
	mempoolBytes  prometheus.Gauge
	commitLatency prometheus.Histogram
	sigBatch      prometheus.Histogram
	txWait        prometheus.Histogram
	committedTxs  prometheus.Counter
	rejected      *prometheus.CounterVec
	txChecks      *prometheus.CounterVec
	execWaits     prometheus.Counter
	qcsFormed     prometheus.Counter
	timeouts      prometheus.Counter
	tcsFormed     prometheus.Counter
	fetches       prometheus.Counter
	served        prometheus.Counter
	climbsServed  prometheus.Counter
	servedBytes   prometheus.Counter
	execute       prometheus.Observer // driver time executing commits
	persist       prometheus.Observer // driver time in the synced write
	phases        *phases
	lastDrops     []uint64
	lastExecWaits uint64
	lastQCs       uint64
	lastTimeouts  uint64
	lastTCs       uint64
	lastFetches   uint64
	lastDemotions uint64
}

func newMetrics() *metrics {
	m := &metrics{
		reg:    prometheus.NewRegistry(),
		height: prometheus.NewGauge(prometheus.GaugeOpts{Name: "lazchain_height", Help: "Latest committed height."}),
		epoch:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "lazchain_epoch", Help: "Current epoch."}),
		round:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "lazchain_round", Help: "Current consensus round."}),
		demotions: prometheus.NewCounter(prometheus.CounterOpts{Name: "lazchain_leader_demotions_total",
			Help: "Times a validator was weighed down in the leader draw (zero on a healthy network)."}),
		demoted: prometheus.NewGauge(prometheus.GaugeOpts{Name: "lazchain_demoted_validators",
			Help: "Validators the leader draw weighs at a 64th of their stake: no proposal or QC signature of theirs in the last 10 committed blocks (crashed, cut off, or too slow to vote within the wait for late votes)."}),
		stragglers: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lazchain_straggler_waits_total",
			Help: "Validators this leader held a proposal for, waiting for late votes of validators the chain had not shown for a few blocks, by outcome: in_time, or missed (then skipped for a while)."}, []string{"outcome"}),
		stragglerWait: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "lazchain_straggler_wait_seconds",
			Help:    "How long this leader held a proposal for late votes.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 12)}),
		mempoolTxs:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "lazchain_mempool_txs", Help: "Transactions in the mempool."}),
		mempoolBytes: prometheus.NewGauge(prometheus.GaugeOpts{Name: "lazchain_mempool_bytes", Help: "Bytes in the mempool."}),
		commitLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "lazchain_commit_latency_seconds",
			Help: "Time from a block's first sighting to its commit.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}),
		sigBatch: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "lazchain_sig_batch_size",
			Help:    "Transactions per signature check request that the batcher ran (merged admissions, checked in chunks of up to 512): in batches a signature costs a third of a lone check.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 12)}),
		txWait: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "lazchain_tx_wait_seconds",
			Help:    "Time from a transaction's admission into this node's pool to its place in this node's proposal.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}),
		committedTxs: prometheus.NewCounter(prometheus.CounterOpts{Name: "lazchain_committed_txs_total", Help: "Transactions committed."}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lazchain_rejected_messages_total",
			Help: "Messages rejected, by reason."}, []string{"reason"}),
		txChecks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "lazchain_gossiped_txs_total",
			Help: "Gossiped transactions by how their signatures were settled: co_verifier (checked here and attested), spare (checked here at low load rather than waiting for attestations), attested (admitted on other validators' word), timed_out (checked here after waiting), overflow (checked here because too many batches were waiting)."}, []string{"how"}),
		execWaits: prometheus.NewCounter(prometheus.CounterOpts{Name: "lazchain_votes_waited_for_execution_total",
			Help: "Votes held until this node had executed the height a proposal vouches for (near zero when healthy)."}),
		qcsFormed: prometheus.NewCounter(prometheus.CounterOpts{Name: "lazchain_qcs_formed_total",
			Help: "QCs this validator aggregated from votes: every round's with broadcast votes, else those of the rounds it leads next."}),
		timeouts: prometheus.NewCounter(prometheus.CounterOpts{Name: "lazchain_timeouts_sent_total",
			Help: "Timeouts this validator signed and sent: one when it gives up waiting for a round's QC, and one more each time the round's timer fires again (near zero when healthy: a network that is starting may lose its first round)."}),
		tcsFormed: prometheus.NewCounter(prometheus.CounterOpts{Name: "lazchain_tcs_formed_total",
			Help: "Timeout certificates this node formed from more than two thirds of the stake's timeouts: rounds the network gave up on."}),
		fetches: prometheus.NewCounter(prometheus.CounterOpts{Name: "lazchain_block_fetches_total",
			Help: "Block requests this node sent because a QC or proposal named a block it did not hold (near zero when healthy)."}),
		climbsServed: prometheus.NewCounter(prometheus.CounterOpts{Name: "lazchain_chain_requests_served_total",
			Help: "Peers' requests for committed blocks by height (a node far behind climbing the chain) that this node answered."}),
		served: prometheus.NewCounter(prometheus.CounterOpts{Name: "lazchain_blocks_served_total",
			Help: "Blocks this node sent in answer to peers' block requests."}),
		servedBytes: prometheus.NewCounter(prometheus.CounterOpts{Name: "lazchain_blocks_served_bytes_total",
			Help: "Encoded bytes of the blocks this node sent in answer to peers' block requests."}),
	}
	flush := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "lazchain_driver_seconds",
		Help:    "Time the driver loop spends on each step that precedes sending a Ready's messages.",
		Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}, []string{"step"})
	m.execute, m.persist = flush.WithLabelValues("execute"), flush.WithLabelValues("persist")
	m.phases = newPhases(m.reg)
	m.stragglers.WithLabelValues("in_time") // both outcomes show from the start
	m.stragglers.WithLabelValues("missed")
	m.reg.MustRegister(flush, m.execWaits, m.qcsFormed, m.timeouts, m.tcsFormed, m.fetches, m.served, m.climbsServed, m.servedBytes, m.txChecks, m.height, m.epoch, m.round, m.demoted, m.demotions, m.stragglers, m.stragglerWait, m.mempoolTxs, m.mempoolBytes, m.commitLatency, m.sigBatch, m.txWait, m.committedTxs, m.rejected,
		newGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// newGoCollector adds to the default Go series how long goroutines waited
// to run (go_sched_latencies_seconds): on a loaded node a consensus
// goroutine can be runnable with every P busy, and this is where that
// shows, apart from waiting for the kernel.
func newGoCollector() prometheus.Collector {
	return collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
		collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/sched/latencies:seconds$`)}))
}

// observeCore adds the core's drop counters since the last call.
func (m *metrics) observeCore(s consensus.Stats) {
	names := consensus.DropNames()
	if m.lastDrops == nil {
		m.lastDrops = make([]uint64, len(names))
	}
	for i, v := range s.Dropped {
		if v < m.lastDrops[i] { // a new epoch's core counts from zero
			m.lastDrops[i] = 0
		}
		if d := v - m.lastDrops[i]; d > 0 {
			m.rejected.WithLabelValues(names[i]).Add(float64(d))
			m.lastDrops[i] = v
		}
	}
	addSince(m.execWaits, &m.lastExecWaits, s.ExecWaits)
	addSince(m.qcsFormed, &m.lastQCs, s.QCs)
	addSince(m.timeouts, &m.lastTimeouts, s.Timeouts)
	addSince(m.tcsFormed, &m.lastTCs, s.TCs)
	addSince(m.fetches, &m.lastFetches, s.Fetches)
	addSince(m.demotions, &m.lastDemotions, s.Demotions)
}

// addSince adds to c what a core counter v gained since last; a new
// epoch's core counts from zero.
func addSince(c prometheus.Counter, last *uint64, v uint64) {
	if v < *last {
		*last = 0
	}
	c.Add(float64(v - *last))
	*last = v
}
