package txindex

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

// Default flush points, before each node's jitter: an ingest of 65,536
// entries is a table of about 3 MiB, which sorts and writes in a few tens
// of milliseconds; at low load the block limit bounds what a restart must
// index again.
const (
	DefaultFlushEntries = 1 << 16
	DefaultFlushHeights = 4096
)

// jitter spreads the default flush points over each node's own range.
// Validators execute the same blocks, so at the same flush points they
// ingest the same tables at the same heights, reach Pebble's compaction
// threshold together and compact together: a core-second each, on every
// node at once, and rounds that need three of four validators slowed on
// all four. Jittered, one node compacts at a time while a quorum of the
// others goes on (at 20,000 tx/s on one machine: p99 1.17-1.19 s before,
// 0.44-0.91 s after). The index's contents do not depend on when it
// flushes, only on what was added.
func jitter() float64 { return 0.5 + rand.Float64() }

// Loc is where a transaction's receipt is.
type Loc struct {
	Height uint64
	Index  uint32
}

// Entry indexes one transaction.
type Entry struct {
	Hash types.Hash
	Loc
}

// Backend is the store the index reads and ingests into.
type Backend interface {
	Get(key []byte) ([]byte, error)
	IngestSorted(kvs []store.KV) error
}

// Confirm reports whether the transaction at l has hash h. The store
// keys entries by a prefix of the hash (format.go); a stored hit is
// confirmed before Lookup returns it.
type Confirm func(h types.Hash, l Loc) (bool, error)

// Index is the hash index. Add and Close are for one goroutine (the
// executor); Lookup, Through and Err are safe from any.
type Index struct {
	db                    Backend
	confirm               Confirm
	flushEntries, flushHs int

	sendMu  sync.Mutex // held from taking a batch to handing it off, so batches go in order
	mu      sync.RWMutex
	gens    []*generation // added, not yet known ingested; oldest first, the last one open
	spare   *generation   // the last one dropped, for reuse
	added   uint64        // height through which entries were added
	handed  uint64        // height of the last hand-off
	seqs    uint64        // hand-offs so far
	through uint64        // height through which the store holds all entries
	legacy  bool          // the store holds entries of the first format too
	err     error         // the last failed ingest, until one succeeds

	batches chan batch
	quit    chan struct{}
	closed  bool
}

type batch struct {
	entries []Entry // the generation's; the writer sorts a copy
	through uint64
	seq     uint64 // the generation's hand-off number
}

// Open returns the index over db, whose stored hits confirm checks, and
// starts its writer. flushEntries and flushHeights of 0 take the
// defaults, scaled by one random factor between 0.5 and 1.5 (see jitter).
func Open(db Backend, confirm Confirm, flushEntries, flushHeights int) (*Index, error) {
	f := jitter()
	if flushEntries <= 0 {
		flushEntries = int(f * DefaultFlushEntries)
	}
	if flushHeights <= 0 {
		flushHeights = int(f * DefaultFlushHeights)
	}
	x := &Index{db: db, confirm: confirm, flushEntries: flushEntries, flushHs: flushHeights,
		gens: []*generation{newGeneration()}, batches: make(chan batch, 1), quit: make(chan struct{})}
	through, ok, err := readMarker(db.Get, []byte{prefix})
	if err != nil {
		return nil, fmt.Errorf("txindex: %w", err)
	}
	old, legacy, err := readMarker(db.Get, []byte{legacyPrefix})
	if err != nil {
		return nil, fmt.Errorf("txindex: %w", err)
	}
	if !ok {
		through = old // the first table of this format goes on from there
	}
	x.through, x.legacy = through, legacy
	x.added, x.handed = x.through, x.through
	go x.run()
	return x, nil
}

// Through is the height through which the store holds every entry: a
// restarted node adds the blocks above it again.
func (x *Index) Through() uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.through
}

// Add indexes the transactions of blocks executed through height. Adding
// a block again (a replay after a crash) adds the same entries.
func (x *Index) Add(height uint64, es []Entry) {
	x.sendMu.Lock()
	defer x.sendMu.Unlock()
	x.mu.Lock()
	open := x.gens[len(x.gens)-1]
	for _, e := range es {
		open.add(e)
	}
	x.added = max(x.added, height)
	send := !x.closed && (open.size() >= x.flushEntries || x.added-x.handed >= uint64(x.flushHs))
	var b batch
	if send {
		b = x.handOff()
	}
	x.mu.Unlock()
	if send {
		// At most one batch waits behind the one being written: a writer
		// that falls behind slows execution instead of growing memory.
		x.batches <- b
	}
}

// handOff closes the open generation and returns its batch. Callers hold
// sendMu and mu.
func (x *Index) handOff() batch {
	open := x.gens[len(x.gens)-1]
	x.seqs++
	open.seq = x.seqs
	x.gens = append(x.gens, x.newGeneration())
	x.handed = x.added
	return batch{entries: open.entries, through: x.added, seq: x.seqs}
}

// Lookup returns where h's receipt is.
func (x *Index) Lookup(h types.Hash) (Loc, bool, error) {
	x.mu.RLock()
	var l Loc
	ok := false
	for _, g := range x.gens {
		if l, ok = g.get(h); ok {
			break
		}
	}
	x.mu.RUnlock()
	if ok {
		return l, true, nil
	}
	l, ok, err := x.stored(key(h), decodeValue)
	if ok {
		// A forged collision must not lend h another's receipt.
		ok, err = x.confirm(h, l)
	}
	if !ok && err == nil && x.legacy {
		l, ok, err = x.stored(legacyKey(h), decodeLegacy)
	}
	if err != nil {
		return Loc{}, false, fmt.Errorf("txindex: lookup %x: %w", h[:8], err)
	}
	return l, ok, nil
}

func (x *Index) stored(k []byte, decode func([]byte) (Loc, error)) (Loc, bool, error) {
	v, err := x.db.Get(k)
	if errors.Is(err, store.ErrNotFound) {
		return Loc{}, false, nil
	}
	if err != nil {
		return Loc{}, false, err
	}
	l, err := decode(v)
	return l, err == nil, err
}

// Err returns the last ingest's error, nil once one succeeds. Entries of
// a failed ingest stay in memory and go with the next.
func (x *Index) Err() error {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.err
}

// Close writes what was added and stops the writer.
func (x *Index) Close() error {
	x.sendMu.Lock()
	defer x.sendMu.Unlock()
	x.mu.Lock()
	if x.closed {
		x.mu.Unlock()
		return nil
	}
	x.closed = true
	b := x.handOff()
	x.mu.Unlock()
	x.batches <- b
	close(x.batches)
	<-x.quit
	return x.Err()
}

// run writes handed-off batches in order, so that the marker of each
// covers every earlier one. A failed batch is carried into the next.
func (x *Index) run() {
	defer close(x.quit)
	// The writer's buffers live across batches: fresh megabytes for every
	// table cost page faults and collector work.
	var (
		es      []Entry // failed batches' entries first, then this batch's
		carried int
		t       tableBuf
	)
	for b := range x.batches {
		// A copy: lookups read the generation's entries while it sorts.
		es = append(es[:carried], b.entries...)
		if b.through == 0 && len(es) == 0 {
			continue
		}
		err := x.db.IngestSorted(t.fill(es, b.through))
		x.mu.Lock()
		x.err = err
		if err == nil {
			x.through = max(x.through, b.through)
			x.dropIngested(b.seq)
			carried = 0
		} else {
			carried = len(es)
		}
		x.mu.Unlock()
	}
}

// dropIngested forgets the handed-off generations up to hand-off seq,
// whose entries are in the store now. By hand-off, not by height: after a
// restart heights already indexed are executed again without moving the
// marker, so two queued generations can share a height, and the one not
// yet written must not be reused. Callers hold mu.
func (x *Index) dropIngested(seq uint64) {
	n := 0
	for n < len(x.gens)-1 && x.gens[n].seq <= seq {
		n++
	}
	if n > 0 {
		x.spare = x.gens[n-1]
	}
	x.gens = append(x.gens[:0:0], x.gens[n:]...)
}

// newGeneration opens a generation, reusing the last one dropped, whose
// map and slice have grown to a hand-off's size already. Callers hold mu.
func (x *Index) newGeneration() *generation {
	g := x.spare
	x.spare = nil
	if g == nil {
		return newGeneration()
	}
	g.reset()
	return g
}

// tableBuf holds one ingest's keys, values and pairs, reused.
type tableBuf struct {
	keys, vals []byte
	kvs        []store.KV
}

// fill returns the sorted contents of one ingest: the marker, then the
// entries by hash. A hash added twice (a replayed block) is one key, at
// its lowest height: a transaction's first receipt is the one it keeps.
// Of hashes that share a key (a forged collision), the lowest is kept.
// It sorts es in place, and the result is valid until the next fill.
func (t *tableBuf) fill(es []Entry, through uint64) []store.KV {
	sortEntries(es)
	// Sized up front: kvs point into keys and vals, so neither may move.
	t.keys = slices.Grow(t.keys[:0], (1+keyBytes)*len(es))
	t.vals = slices.Grow(t.vals[:0], 2*binary.MaxVarintLen64*len(es)+8)
	t.kvs = t.kvs[:0]
	t.vals = binary.BigEndian.AppendUint64(t.vals, through)
	t.kvs = append(t.kvs, store.KV{Key: []byte{prefix}, Value: t.vals[:8:8]})
	for i, e := range es {
		if i > 0 && [keyBytes]byte(e.Hash[:keyBytes]) == [keyBytes]byte(es[i-1].Hash[:keyBytes]) {
			continue
		}
		k, v := len(t.keys), len(t.vals)
		t.keys = append(append(t.keys, prefix), e.Hash[:keyBytes]...)
		t.vals = appendValue(t.vals, e.Loc)
		t.kvs = append(t.kvs, store.KV{Key: t.keys[k:len(t.keys):len(t.keys)], Value: t.vals[v:len(t.vals):len(t.vals)]})
	}
	return t.kvs
}

// sortEntries orders es by hash, then location.
func sortEntries(es []Entry) {
	slices.SortFunc(es, func(a, b Entry) int {
		// The first eight bytes as one number settle nearly every pair.
		if c := cmp.Compare(binary.BigEndian.Uint64(a.Hash[:8]), binary.BigEndian.Uint64(b.Hash[:8])); c != 0 {
			return c
		}
		if c := bytes.Compare(a.Hash[8:], b.Hash[8:]); c != 0 {
			return c
		}
		if a.Height != b.Height {
			return cmp.Compare(a.Height, b.Height)
		}
		return cmp.Compare(a.Index, b.Index)
	})
}
