package node

import (
	"encoding/binary"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/lazchain/lazchain/internal/mempool"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/quorum"
	"github.com/lazchain/lazchain/internal/types"
)

// Shared signature checking. Checking every transaction's signature on
// every validator is what limits throughput (see BENCHMARKS.md). It is
// enough that validators holding more than the faulty share of stake have
// checked a batch: at least one of them is honest. So a gossiped batch is
// checked by its origin (which sends only what its mempool admitted) and
// by co-verifiers drawn from the batch digest until their stake, with the
// origin's, exceeds what Byzantine validators may hold; each co-verifier
// announces the digest on ChanAttest. Every other validator holds the
// batch until those announcements add up, then admits it unchecked; one
// that waits too long checks it itself. Full nodes check everything. A
// validator with spare CPU (spareChecks: under 2,000 checks a second of
// every kind) checks a batch at once instead of holding it, since at low
// load the wait for attestations is only latency.
//
// Execution treats admitted transactions as checked, so the chain stays
// deterministic: under the fault assumption an attested batch holds only
// validly signed transactions, exactly what a check would have found.

const (
	// attestWait is how long a held batch waits for its attestations
	// before this validator checks it itself. Only a loaded validator holds
	// batches (spareChecks), and under load the co-verifier's queue is
	// long too: at 17,500 tx/s, with 250 ms, a fifth of all batches timed
	// out and were checked a third time, which loaded the co-verifiers
	// further. With a second, none timed out (BENCHMARKS.md). A crashed
	// co-verifier costs its batches a second's wait here; the origin and
	// the co-verifiers propose them meanwhile.
	attestWait   = time.Second
	maxHeld      = 4096 // batches waiting for attestations
	maxHeldBytes = 256 << 20
	maxEarly     = 16384 // attestations waiting for their batch
	maxSettled   = 16384 // digests of batches done with, remembered to drop their late attestations
	attestSweeps = 10 * time.Millisecond
)

// batchDigest names a batch by its transactions' hashes, in order.
func batchDigest(txs []*types.Tx) types.Hash {
	buf := make([]byte, 0, 32*len(txs))
	for _, tx := range txs {
		h := tx.Hash()
		buf = append(buf, h[:]...)
	}
	return types.HashOf(buf)
}

// coVerifiers returns, in draw order, the validators that must check a
// batch from origin (-1 if the origin is not a validator): the others,
// ordered by a hash of the digest and their index, until their stake and
// the origin's exceed the faulty share.
func coVerifiers(set *types.ValidatorSet, d types.Hash, origin int) []int {
	need := quorum.MaxFaulty(set.TotalStake()) + 1
	var have uint64
	if origin >= 0 {
		have = set.StakeOf(origin)
	}
	type draw struct {
		idx int
		key types.Hash
	}
	draws := make([]draw, 0, set.Len())
	var buf [40]byte
	copy(buf[:32], d[:])
	for i := 0; i < set.Len(); i++ {
		if i == origin {
			continue
		}
		binary.BigEndian.PutUint64(buf[32:], uint64(i))
		draws = append(draws, draw{i, types.HashOf(buf[:])})
	}
	slices.SortFunc(draws, func(a, b draw) int { return compareHash(a.key, b.key) })
	var out []int
	for _, dr := range draws {
		if have >= need {
			break
		}
		out = append(out, dr.idx)
		have += set.StakeOf(dr.idx)
	}
	return out
}

func compareHash(a, b types.Hash) int {
	for i := range a {
		if a[i] != b[i] {
			return int(a[i]) - int(b[i])
		}
	}
	return 0
}

// heldBatch is a gossiped batch waiting for attestations.
type heldBatch struct {
	from   p2p.NodeID // the peer that gossiped it
	txs    []*types.Tx
	by     map[int]bool // validators vouching for it, origin included
	epoch  uint64
	since  time.Time
	origin int
	bytes  int
}

// attestBook holds batches and early attestations. Its lock is never held
// across a signature check or I/O.
type attestBook struct {
	mu   sync.Mutex
	held map[types.Hash]*heldBatch
	// Per origin, the batches held and their bytes: one faulty validator
	// sending junk batches must not fill the book, which would send every
	// honest batch to be checked by every validator.
	byOrigin map[int]int
	bytes    int
	// early holds attestations that came before their batch, by digest and
	// validator index, with the epoch the index belongs to: indices are
	// reassigned every epoch, so one counts only in its own epoch. Each
	// validator may have only its share of them, and they expire: a faulty
	// one announcing digests of batches that never come must not push out
	// the honest ones' (their batches would then wait the full second).
	early   map[types.Hash]*earlyAtts
	earlyBy map[int]int
	// settled remembers the batches this validator is done with: checked
	// here, or released by their attestations. The attestations that
	// follow (every co-verifier sends one, and a spare validator's check
	// usually beats them) are dropped rather than kept as early ones. Kept,
	// they filled the early book at low load, and the sweep walked all of
	// it every 10 ms: 2% of the nodes' CPU at 1,000 tx/s.
	settled recent
}

type earlyAtts struct {
	by map[int]uint64 // validator index -> its epoch
	at time.Time      // the first one's arrival
}

func newAttestBook() *attestBook {
	return &attestBook{held: map[types.Hash]*heldBatch{}, early: map[types.Hash]*earlyAtts{}, earlyBy: map[int]int{}, byOrigin: map[int]int{}, settled: newRecent(maxSettled)}
}

// checkedHere records that this validator checks batch d itself, so that
// attestations for it are not kept.
func (a *attestBook) checkedHere(d types.Hash) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.settle(d)
}

// settle marks d done and forgets its early attestations. Callers hold mu.
func (a *attestBook) settle(d types.Hash) {
	a.settled.add(d)
	if e := a.early[d]; e != nil {
		a.dropEarly(d, e)
	}
}

// toCheck is a gossiped batch this validator checks itself; attest says
// whether a clean result is broadcast as an attestation for digest d.
type toCheck struct {
	from     p2p.NodeID // who gossiped it; zero if unknown
	txs      []*types.Tx
	d        types.Hash
	attest   bool
	reserved int // spare checks taken for it, returned once it is checked
}

// routeBatch decides what becomes of a gossiped batch: checked here
// (returned), held until co-verifiers vouch for it, or admitted at once
// because they already have.
func (n *Node) routeBatch(from p2p.NodeID, txs []*types.Tx) (toCheck, bool) {
	v := n.view()
	origin, isVal := v.byNode[from]
	if !isVal {
		origin = -1
	}
	if v.self < 0 || origin < 0 {
		return toCheck{from: from, txs: txs}, true // full nodes, and batches no validator vouches for, are checked here
	}
	d := batchDigest(txs)
	if slices.Contains(coVerifiers(v.set, d, origin), v.self) {
		n.attest.checkedHere(d)
		n.metrics.txChecks.WithLabelValues("co_verifier").Add(float64(len(txs)))
		return toCheck{from: from, txs: txs, d: d, attest: true}, true
	}
	if n.spare.take(len(txs), time.Now()) {
		// Lightly loaded: check now rather than wait, and release the
		// batch sooner on the others.
		n.attest.checkedHere(d)
		n.metrics.txChecks.WithLabelValues("spare").Add(float64(len(txs)))
		return toCheck{from: from, txs: txs, d: d, attest: true, reserved: len(txs)}, true
	}
	ready, full, settled := n.attest.hold(d, txs, origin, from, v)
	switch {
	case settled:
		n.metrics.txChecks.WithLabelValues("settled").Add(float64(len(txs)))
		return toCheck{from: from, txs: txs}, true // seen before: its attestations are gone
	case full:
		n.metrics.txChecks.WithLabelValues("overflow").Add(float64(len(txs)))
		return toCheck{from: from, txs: txs}, true // too much is waiting: check this one here
	case ready != nil:
		n.admitAttested(ready)
	}
	return toCheck{}, false
}

// checkBatches checks the signatures of several batches in one call:
// batch verification costs far less per signature for a few hundred
// than for the handful a gossip batch carries under load. Each batch
// with no bad signature is then attested on its own.
func (n *Node) checkBatches(bs []toCheck) {
	if len(bs) == 0 {
		return
	}
	all := bs[0].txs
	if len(bs) > 1 {
		all = nil
		for _, b := range bs {
			all = append(all, b.txs...)
		}
	}
	errs := n.admit(all) // charges the spare budget with the checks made
	for _, b := range bs {
		if b.reserved > 0 {
			n.spare.refund(b.reserved)
		}
		mine := errs[:len(b.txs)]
		errs = errs[len(b.txs):]
		n.blameBadSigs(b.from, mine)
		if b.attest && !slices.ContainsFunc(mine, unvouched) {
			n.host.Broadcast(p2p.ChanAttest, b.d[:])
		}
	}
}

// blameBadSigs records the bad signatures in a batch that peer from
// gossiped. A node gossips only what its own pool admitted, after
// checking it, so any is the sender's fault: counted, and logged at most
// once a minute per peer, so operators can find it.
func (n *Node) blameBadSigs(from p2p.NodeID, errs []error) {
	if from == (p2p.NodeID{}) {
		return
	}
	bad := 0
	for _, err := range errs {
		if errors.Is(err, mempool.ErrBadSig) {
			bad++
		}
	}
	if bad == 0 {
		return
	}
	n.metrics.rejected.WithLabelValues("gossip_bad_signature").Add(float64(bad))
	if n.badGossip.Due(from, time.Now()) {
		n.log.Warn("peer gossiped transactions with bad signatures", "peer", from, "bad", bad, "of", len(errs))
	}
}

// unvouched is a transaction that keeps its batch from being attested: a
// bad signature, or one never checked because its nonce was used here.
func unvouched(err error) bool { return errors.Is(err, mempool.ErrBadSig) || mempool.Unchecked(err) }

// onAttest records that validator `from` checked batch d.
func (n *Node) onAttest(from p2p.NodeID, payload []byte) {
	v := n.view()
	idx, ok := v.byNode[from]
	if !ok || len(payload) != 32 {
		n.metrics.rejected.WithLabelValues("bad_attest").Inc()
		return
	}
	var d types.Hash
	copy(d[:], payload)
	if b := n.attest.vouch(d, idx, v); b != nil {
		// Admission reads nonces and takes the pool's lock, which a commit
		// or a leader's reap may hold for milliseconds under load. On this
		// peer's reader it held up every consensus frame queued behind the
		// attestation, by 8.6 ms on average for the slow ones in a loaded
		// run (BENCHMARKS.md, fourteenth sitting). A full queue admits here,
		// slowing this peer rather than losing a batch already taken from
		// the attest book.
		select {
		case n.vouched <- b:
		default:
			n.admitAttested(b)
		}
	}
}

// maxVouchedTxs bounds the transactions one admission of vouched batches
// takes from the queue, so that one lock hold stays short.
const maxVouchedTxs = 4096

// vouchedWorker admits vouched batches off the peers' readers, several
// queued batches in one call.
func (n *Node) vouchedWorker() {
	for {
		select {
		case <-n.done:
			return
		case b := <-n.vouched:
			for more := true; more && len(b) < maxVouchedTxs; {
				select {
				case next := <-n.vouched:
					b = append(b[:len(b):len(b)], next...)
				default:
					more = false
				}
			}
			n.admitAttested(b)
		}
	}
}

func (n *Node) admitAttested(txs []*types.Tx) {
	n.metrics.txChecks.WithLabelValues("attested").Add(float64(len(txs)))
	n.admitWith(txs, false)
}

// hold keeps a batch until it is vouched for; it returns the batch's
// transactions at once if early attestations already suffice, and full
// when it cannot keep the batch.
func (a *attestBook) hold(d types.Hash, txs []*types.Tx, origin int, from p2p.NodeID, v *epochView) (ready []*types.Tx, full, settled bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, dup := a.held[d]; dup {
		return nil, false, false
	}
	if a.settled.has(d) {
		// Seen and done with: its attestations were dropped, so holding it
		// would only wait out attestWait. Checked again here instead, since
		// "done" may have meant a bad signature found.
		return nil, false, true
	}
	size := 0
	for _, tx := range txs {
		size += tx.EncodedSize()
	}
	// An origin's share: the book split among the set, the non-validators
	// (origin -1) sharing one part.
	share := maxHeld / max(1, v.set.Len())
	if len(a.held) >= maxHeld || a.byOrigin[origin] >= share || a.bytes+size > maxHeldBytes {
		return nil, true, false
	}
	b := &heldBatch{from: from, txs: txs, by: map[int]bool{origin: true}, epoch: v.epoch.Number, since: time.Now(), origin: origin, bytes: size}
	a.byOrigin[origin]++
	a.bytes += size
	if e := a.early[d]; e != nil {
		for idx, epoch := range e.by {
			if epoch == v.epoch.Number {
				b.by[idx] = true
			}
		}
		a.dropEarly(d, e)
	}
	a.held[d] = b
	return a.release(d, b, v), false, false
}

// vouch adds an attestation and returns the batch once it is vouched for
// by more than the faulty share of the current set's stake.
func (a *attestBook) vouch(d types.Hash, idx int, v *epochView) []*types.Tx {
	a.mu.Lock()
	defer a.mu.Unlock()
	b, ok := a.held[d]
	if !ok {
		if a.settled.has(d) {
			return nil
		}
		e := a.early[d]
		if e != nil {
			if _, seen := e.by[idx]; seen {
				return nil
			}
		}
		if len(a.early) >= maxEarly || a.earlyBy[idx] >= maxEarly/max(1, v.set.Len()) {
			return nil
		}
		if e == nil {
			e = &earlyAtts{by: map[int]uint64{}, at: time.Now()}
			a.early[d] = e
		}
		e.by[idx] = v.epoch.Number
		a.earlyBy[idx]++
		return nil
	}
	if b.epoch != v.epoch.Number {
		return nil // an index of another epoch's set; the sweep checks the batch
	}
	b.by[idx] = true
	return a.release(d, b, v)
}

// release hands out a held batch whose vouchers carry enough stake.
func (a *attestBook) release(d types.Hash, b *heldBatch, v *epochView) []*types.Tx {
	if b.epoch != v.epoch.Number {
		return nil // vouched for by another epoch's set; the sweep checks it
	}
	var stake uint64
	for idx := range b.by {
		stake += v.set.StakeOf(idx)
	}
	if stake <= quorum.MaxFaulty(v.set.TotalStake()) {
		return nil
	}
	a.forget(d, b)
	return b.txs
}

// forget removes a held batch, released or checked here. Callers hold mu.
func (a *attestBook) forget(d types.Hash, b *heldBatch) {
	delete(a.held, d)
	a.settled.add(d)
	a.bytes -= b.bytes
	if a.byOrigin[b.origin]--; a.byOrigin[b.origin] <= 0 {
		delete(a.byOrigin, b.origin)
	}
}

// overdue removes and returns the batches held longer than attestWait,
// and forgets stale early attestations.
func (a *attestBook) overdue(now time.Time) []*heldBatch {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []*heldBatch
	for d, b := range a.held {
		if now.Sub(b.since) >= attestWait {
			out = append(out, b)
			a.forget(d, b)
		}
	}
	for d, e := range a.early {
		if now.Sub(e.at) >= 2*attestWait {
			a.dropEarly(d, e) // attestations for batches that never came
		}
	}
	return out
}

// newEpoch forgets attestations made under the old set's indices.
func (a *attestBook) newEpoch() {
	a.mu.Lock()
	defer a.mu.Unlock()
	clear(a.early)
	clear(a.earlyBy)
}

// dropEarly forgets the early attestations of digest d. Callers hold mu.
func (a *attestBook) dropEarly(d types.Hash, e *earlyAtts) {
	delete(a.early, d)
	for idx := range e.by {
		if a.earlyBy[idx]--; a.earlyBy[idx] <= 0 {
			delete(a.earlyBy, idx)
		}
	}
}

// sweepAttest checks, itself, every batch nobody vouched for in time.
func (n *Node) sweepAttest() {
	t := time.NewTicker(attestSweeps)
	defer t.Stop()
	for {
		select {
		case <-n.done:
			return
		case now := <-t.C:
			// In pieces of about maxCheckTxs: one request of everything
			// overdue would hold the signature worker, and every client's
			// and co-verifier's check queued behind it, for as long as it
			// takes.
			var check []toCheck
			size := 0
			for _, b := range n.attest.overdue(now) {
				n.metrics.txChecks.WithLabelValues("timed_out").Add(float64(len(b.txs)))
				if size > 0 && size+len(b.txs) > maxCheckTxs {
					n.checkBatches(check)
					check, size = nil, 0
				}
				check = append(check, toCheck{from: b.from, txs: b.txs})
				size += len(b.txs)
			}
			n.checkBatches(check)
		}
	}
}
