package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"

	"github.com/lazchain/lazchain/internal/blocklog"
	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/safety"
	"github.com/lazchain/lazchain/internal/types"
)

// ErrNotFound reports a key that is not stored.
var ErrNotFound = errors.New("store: not found")

// Key prefixes. One byte each keeps keys short and ranges simple.
const (
	pBlock   = 'b' // id -> block, for blocks under logThreshold
	pBlockAt = 'B' // id -> where the block is in the block log
	pHeight  = 'h' // height -> committed block id
	pMeta    = 'm' // singletons
	pSafety  = 's'
	pPending = 'p' // height, id -> nothing: stored blocks not yet committed
	pEpochQC = 'q' // epoch -> the last QC that committed in it
	metaTip  = "tip"
	metaHQC  = "hqc"
	metaHTC  = "htc"
	metaCQC  = "cqc"
	metaGen  = "genesis"
	heightSz = 8
)

// logThreshold is the encoded size from which a block goes to the block
// log rather than into Pebble. Small blocks, the idle and lightly loaded
// chain's, stay in the batch: the log costs a second fsync per write.
const logThreshold = 64 << 10

// Store is a node's Pebble database.
type Store struct {
	db     *pebble.DB
	opts   *pebble.Options // with defaults filled in, for ingested tables
	dir    string
	blocks *blocklog.Log // large blocks; Pebble holds their locations
	stalls *stalls

	// pending lists the pending-block keys written and not yet pruned, so
	// that a commit deletes them one by one. A range deletion per commit
	// would pile tombstones into the memtable, and Pebble re-fragments all
	// of them on the next read: it was a fifth of a node's CPU, spent in
	// every Get. Only Apply touches it, from the node's one loop.
	pending [][]byte

	// safety is the signer's newest state, encoded, until the next Apply
	// or Close writes it (see SafetyStorage).
	safetyMu sync.Mutex
	safety   []byte
}

// Open opens or creates the database in dir.
func Open(dir string) (*Store, error) {
	st := &stalls{}
	el := st.listener()
	opts := &pebble.Options{Logger: quietLogger{}, EventListener: &el}
	// Bloom filters make lookups of absent keys (new senders, unknown
	// receipts) skip table reads.
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		opts.Levels[i].FilterType = pebble.TableFilter
	}
	// Chain data is mostly hashes and signatures, which do not compress;
	// compressing them only costs the CPU that consensus needs.
	opts.ApplyCompressionSettings(func() pebble.DBCompressionSettings { return pebble.DBCompressionNone })
	// Blocks are large values written once and read rarely; kept in blob
	// files, compactions move a reference instead of rewriting them at
	// every level, which was a fifth of a loaded node's CPU.
	opts.FormatMajorVersion = pebble.FormatValueSeparation
	opts.Experimental.ValueSeparationPolicy = func() pebble.ValueSeparationPolicy {
		return pebble.ValueSeparationPolicy{Enabled: true, MinimumSize: 1024, MaxBlobReferenceDepth: 10,
			RewriteMinimumAge: 5 * time.Minute, TargetGarbageRatio: 0.5}
	}
	// Memtables are 8 MB. With megabyte blocks in them they were 64 MB, or
	// a loaded node flushed several times a second; with blocks in the
	// block log, a 64 MB memtable held minutes of account updates, and
	// every insert walked a skiplist far larger than the cache (5.8% of a
	// loaded node's CPU, against 0.8% at 8 MB).
	opts.MemTableSize = 8 << 20
	opts.MemTableStopWritesThreshold = 4
	// Every transaction-index table spans the index's whole hash range,
	// as every flush of account updates spans the accounts', so each L0
	// compaction rewrote the whole base level under them: at 20,000 tx/s
	// one every few seconds, on every node at once, each taking a core for
	// one to three seconds, and the rounds around them slowed to a few a
	// second (they were the whole of the p99). Pebble starts an L0 compaction at half this threshold:
	// 8 sublevels instead of the default's 2, so each rewrite merges four
	// times as much; a point read checks each sublevel's bloom filter
	// first. Writes stop only far beyond that. The base level keeps
	// Pebble's 64 MB, so a rewrite stays bounded as the chain grows.
	opts.L0CompactionThreshold = 16
	opts.L0StopWritesThreshold = 64
	opts.EnsureDefaults()
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	s := &Store{db: db, opts: opts, dir: dir, stalls: st}
	if s.blocks, err = blocklog.Open(filepath.Join(dir, "blocks")); err != nil {
		db.Close()
		return nil, err
	}
	if err := removeIngestLeftovers(dir); err != nil {
		s.closeAll()
		return nil, err
	}
	if err := s.loadPending(); err != nil {
		s.closeAll()
		return nil, err
	}
	return s, nil
}

func (s *Store) closeAll() {
	s.blocks.Close()
	s.db.Close()
}

// loadPending reads the pending-block keys left by the last run.
func (s *Store) loadPending() error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{pPending}, UpperBound: []byte{pPending + 1}})
	if err != nil {
		return fmt.Errorf("scan pending: %w", err)
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		s.pending = append(s.pending, append([]byte(nil), it.Key()...))
	}
	return it.Error()
}

// Close writes any signer state still held, then closes the database.
func (s *Store) Close() error {
	if d := s.takeSafety(); d != nil {
		if err := s.db.Set([]byte{pSafety}, d, pebble.Sync); err != nil {
			s.closeAll()
			return fmt.Errorf("store safety data: %w", err)
		}
	}
	berr := s.blocks.Close()
	if err := s.db.Close(); err != nil {
		return err
	}
	return berr
}

func key(prefix byte, rest []byte) []byte {
	return append([]byte{prefix}, rest...)
}

func heightKey(h uint64) []byte {
	var b [1 + heightSz]byte
	b[0] = pHeight
	binary.BigEndian.PutUint64(b[1:], h)
	return b[:]
}

func (s *Store) get(k []byte) ([]byte, error) {
	v, closer, err := s.db.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store get %q: %w", k[:1], err)
	}
	out := append([]byte(nil), v...)
	closer.Close()
	return out, nil
}

// KV is one extra write, such as a state change from executing commits.
type KV struct {
	Key, Value []byte
}

// Apply writes everything a Ready asks to persist in one synced batch:
// new blocks, the high QC and TC, the committed blocks with their height
// index, and the signer state held since the last Apply. It returns only
// once the batch is durable. The state of executing the committed blocks
// goes later, through WriteState.
func (s *Store) Apply(r *consensus.Ready) error {
	sd := s.takeSafety()
	if sd == nil && len(r.Blocks) == 0 && r.HighQC == nil && r.HighTC == nil && len(r.Committed) == 0 {
		return nil
	}
	added := len(s.pending)
	keep, err := s.write(r, sd)
	if err != nil {
		// Nothing of the batch was written: the pending keys it added are
		// not on disk, and the signer state must go out with the next one.
		s.pending = s.pending[:added]
		s.restoreSafety(sd)
		return err
	}
	if keep != nil {
		s.pending = keep
	}
	return nil
}

// write builds Apply's batch and commits it synced. It returns the
// pending keys left once the batch is written, or nil if it deleted none.
func (s *Store) write(r *consensus.Ready, sd []byte) ([][]byte, error) {
	b := s.db.NewBatch()
	defer b.Close()
	if sd != nil {
		if err := b.Set([]byte{pSafety}, sd, nil); err != nil {
			return nil, fmt.Errorf("store safety data: %w", err)
		}
	}
	logged := false
	for _, blk := range r.Blocks {
		id := blk.ID()
		inLog, err := s.putBlock(b, id, blk.Encode())
		if err != nil {
			return nil, err
		}
		logged = logged || inLog
		pk := pendingKey(blk.Height, id)
		if err := b.Set(pk, nil, nil); err != nil {
			return nil, fmt.Errorf("store pending: %w", err)
		}
		s.pending = append(s.pending, pk)
	}
	if r.HighQC != nil {
		if err := b.Set(key(pMeta, []byte(metaHQC)), types.EncodeQC(r.HighQC), nil); err != nil {
			return nil, fmt.Errorf("store high qc: %w", err)
		}
	}
	if r.HighTC != nil {
		if err := b.Set(key(pMeta, []byte(metaHTC)), types.EncodeTC(r.HighTC), nil); err != nil {
			return nil, fmt.Errorf("store high tc: %w", err)
		}
	}
	keep, err := s.indexCommits(b, r)
	if err != nil {
		return nil, err
	}
	// The blocks' bytes are durable before the locations naming them.
	if logged {
		if err := s.blocks.Sync(); err != nil {
			return nil, err
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return nil, fmt.Errorf("commit batch: %w", err)
	}
	return keep, nil
}

// putBlock adds a block to b: inline if small, else appended to the block
// log with its location in b, and then it reports true: the caller syncs
// the log before b.
func (s *Store) putBlock(b *pebble.Batch, id types.Hash, enc []byte) (inLog bool, err error) {
	if len(enc) < logThreshold {
		if err := b.Set(key(pBlock, id[:]), enc, nil); err != nil {
			return false, fmt.Errorf("store block: %w", err)
		}
		return false, nil
	}
	loc, err := s.blocks.Append(enc)
	if err != nil {
		return false, fmt.Errorf("store block %s: %w", id.Short(), err)
	}
	if err := b.Set(key(pBlockAt, id[:]), loc.Encode(), nil); err != nil {
		return false, fmt.Errorf("store block location: %w", err)
	}
	return true, nil
}

// WriteState writes the state changes of executing committed blocks. The
// driver writes them after the synced batch that committed the blocks and
// after its votes have left, without a sync of their own: the next synced
// batch makes them durable (the log is sequential), and a crash before
// that loses only what re-executing the committed blocks at start redoes.
func (s *Store) WriteState(state []KV, sync bool) error {
	if len(state) == 0 {
		return nil
	}
	b := s.db.NewBatch()
	defer b.Close()
	for _, kv := range state {
		if err := b.Set(kv.Key, kv.Value, nil); err != nil {
			return fmt.Errorf("store state: %w", err)
		}
	}
	opt := pebble.NoSync
	if sync {
		opt = pebble.Sync
	}
	if err := b.Commit(opt); err != nil {
		return fmt.Errorf("commit state batch: %w", err)
	}
	return nil
}

// indexCommits adds the height index and tip of the committed blocks to
// b, and deletes the pending keys they settle. It returns the pending keys
// still left once b is written, or nil if it deleted none.
func (s *Store) indexCommits(b *pebble.Batch, r *consensus.Ready) ([][]byte, error) {
	for _, blk := range r.Committed {
		id := blk.ID()
		// The block itself was stored when the core first reported it (in
		// this Ready's Blocks or an earlier one); only the index is new.
		if err := b.Set(heightKey(blk.Height), id[:], nil); err != nil {
			return nil, fmt.Errorf("index height %d: %w", blk.Height, err)
		}
	}
	var keep [][]byte
	if n := len(r.Committed); n > 0 {
		last := r.Committed[n-1]
		var tip [heightSz + 32]byte
		binary.BigEndian.PutUint64(tip[:8], last.Height)
		id := last.ID()
		copy(tip[8:], id[:])
		if err := b.Set(key(pMeta, []byte(metaTip)), tip[:], nil); err != nil {
			return nil, fmt.Errorf("store tip: %w", err)
		}
		// Blocks at or below the new tip are committed or dead forks.
		keep = make([][]byte, 0, len(s.pending))
		for _, pk := range s.pending {
			if binary.BigEndian.Uint64(pk[1:]) > last.Height {
				keep = append(keep, pk)
				continue
			}
			if err := b.Delete(pk, nil); err != nil {
				return nil, fmt.Errorf("prune pending: %w", err)
			}
		}
		if r.CommitQC != nil {
			enc := types.EncodeQC(r.CommitQC)
			if err := b.Set(key(pMeta, []byte(metaCQC)), enc, nil); err != nil {
				return nil, fmt.Errorf("store commit qc: %w", err)
			}
			// A core commits nothing past its epoch's last block, so the
			// epoch's final entry here is the proof that ended it.
			if err := b.Set(epochQCKey(r.CommitQC.Epoch), enc, nil); err != nil {
				return nil, fmt.Errorf("store epoch commit qc: %w", err)
			}
		}
	}
	return keep, nil
}

// Block returns a stored block by id.
func (s *Store) Block(id types.Hash) (*types.Block, error) {
	v, err := s.blockBytes(id)
	if err != nil {
		return nil, err
	}
	blk, err := types.DecodeBlock(v)
	if err != nil {
		return nil, fmt.Errorf("stored block %s: %w", id.Short(), err)
	}
	return blk, nil
}

// blockBytes reads a block's encoding from the log or from Pebble.
func (s *Store) blockBytes(id types.Hash) ([]byte, error) {
	v, err := s.get(key(pBlockAt, id[:]))
	if errors.Is(err, ErrNotFound) {
		return s.get(key(pBlock, id[:]))
	}
	if err != nil {
		return nil, err
	}
	loc, err := blocklog.DecodeLoc(v)
	if err != nil {
		return nil, fmt.Errorf("stored block %s: %w", id.Short(), err)
	}
	enc, err := s.blocks.Read(loc)
	if err != nil {
		return nil, fmt.Errorf("stored block %s: %w", id.Short(), err)
	}
	return enc, nil
}

// BlockAt returns the committed block at height.
func (s *Store) BlockAt(h uint64) (*types.Block, error) {
	v, err := s.get(heightKey(h))
	if err != nil {
		return nil, err
	}
	var id types.Hash
	copy(id[:], v)
	return s.Block(id)
}

// Tip returns the height and id of the last committed block, or
// ErrNotFound on a fresh store.
func (s *Store) Tip() (uint64, types.Hash, error) {
	v, err := s.get(key(pMeta, []byte(metaTip)))
	if err != nil {
		return 0, types.Hash{}, err
	}
	var id types.Hash
	copy(id[:], v[8:])
	return binary.BigEndian.Uint64(v[:8]), id, nil
}

// Get reads a state key written through Apply; ErrNotFound if absent.
func (s *Store) Get(k []byte) ([]byte, error) { return s.get(k) }

// SafetyStorage returns a safety.Storage that keeps the signer's state in
// this database. A Store does not write at once: it holds the state, and
// the next Apply writes it in the same synced batch as the blocks. That is
// one fsync per round instead of two on the path to every vote, and it is
// safe because the node's driver releases a signature only in the Ready
// messages it sends after Apply returns: a crash before that loses the
// newer state and the signature together.
func (s *Store) SafetyStorage() safety.Storage { return safetyStore{s} }

type safetyStore struct{ s *Store }

func (p safetyStore) Load() (safety.Data, error) {
	p.s.safetyMu.Lock()
	held := p.s.safety
	p.s.safetyMu.Unlock()
	if held != nil {
		return safety.DecodeData(held)
	}
	v, err := p.s.get([]byte{pSafety})
	if errors.Is(err, ErrNotFound) {
		return safety.Data{}, nil
	}
	if err != nil {
		return safety.Data{}, err
	}
	return safety.DecodeData(v)
}

func (p safetyStore) Store(d safety.Data) error {
	p.s.safetyMu.Lock()
	p.s.safety = d.Encode()
	p.s.safetyMu.Unlock()
	return nil
}

// takeSafety hands the held signer state to a write.
func (s *Store) takeSafety() []byte {
	s.safetyMu.Lock()
	defer s.safetyMu.Unlock()
	d := s.safety
	s.safety = nil
	return d
}

// restoreSafety puts back state whose write failed, unless newer state
// arrived meanwhile.
func (s *Store) restoreSafety(d []byte) {
	if d == nil {
		return
	}
	s.safetyMu.Lock()
	if s.safety == nil {
		s.safety = d
	}
	s.safetyMu.Unlock()
}

func pendingKey(h uint64, id types.Hash) []byte {
	k := make([]byte, 1+heightSz+32)
	k[0] = pPending
	binary.BigEndian.PutUint64(k[1:], h)
	copy(k[1+heightSz:], id[:])
	return k
}

func epochQCKey(epoch uint64) []byte { return binary.BigEndian.AppendUint64([]byte{pEpochQC}, epoch) }

// EpochProof returns the QC that committed the last block of epoch.
func (s *Store) EpochProof(epoch uint64) (*types.QC, error) {
	v, err := s.get(epochQCKey(epoch))
	if err != nil {
		return nil, fmt.Errorf("proof of epoch %d: %w", epoch, err)
	}
	return types.DecodeQC(v)
}

// Snapshot loads what a restarted consensus core needs for the epoch that
// starts at root (the genesis block or an epoch root). Until the epoch
// commits a block of its own, the core starts from root; certificates of
// earlier epochs are left behind.
func (s *Store) Snapshot(root *types.Block) (consensus.Snapshot, error) {
	snap := consensus.Snapshot{Committed: root, HighQC: types.GenesisQC(root.Epoch, root.ID())}
	if h, id, err := s.Tip(); err == nil && h > root.Height {
		if snap.Committed, err = s.Block(id); err != nil {
			return snap, fmt.Errorf("load committed tip: %w", err)
		}
	} else if err != nil && !errors.Is(err, ErrNotFound) {
		return snap, err
	}
	recent, err := s.recent(root, snap.Committed)
	if err != nil {
		return snap, err
	}
	snap.Recent = recent
	if v, err := s.get(key(pMeta, []byte(metaHQC))); err == nil {
		qc, err := types.DecodeQC(v)
		if err != nil {
			return snap, fmt.Errorf("load high qc: %w", err)
		}
		if qc.Epoch == root.Epoch {
			snap.HighQC = qc
		}
	}
	if v, err := s.get(key(pMeta, []byte(metaHTC))); err == nil {
		tc, err := types.DecodeTC(v)
		if err != nil {
			return snap, fmt.Errorf("load high tc: %w", err)
		}
		if tc.Epoch == root.Epoch {
			snap.HighTC = tc
		}
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: pendingKey(snap.Committed.Height+1, types.Hash{}), UpperBound: []byte{pPending + 1}})
	if err != nil {
		return snap, fmt.Errorf("scan pending: %w", err)
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		var id types.Hash
		copy(id[:], it.Key()[1+heightSz:])
		b, err := s.Block(id)
		if err != nil {
			return snap, fmt.Errorf("load pending block %s: %w", id.Short(), err)
		}
		if b.Epoch == root.Epoch { // an ended epoch's last blocks never commit
			snap.Blocks = append(snap.Blocks, b)
		}
	}
	return snap, nil
}

// recent loads the committed blocks of root's epoch just below committed
// (consensus.Snapshot.Recent).
func (s *Store) recent(root, committed *types.Block) ([]*types.Block, error) {
	from := root.Height + 1
	if committed.Height > consensus.RecentNeeded {
		from = max(from, committed.Height-consensus.RecentNeeded)
	}
	var out []*types.Block
	for h := from; h < committed.Height; h++ {
		b, err := s.BlockAt(h)
		if errors.Is(err, ErrNotFound) {
			out = nil // a gap: only the run just below committed helps
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("load committed block %d: %w", h, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// CommitQC returns the QC that proved the latest commit.
func (s *Store) CommitQC() (*types.QC, error) {
	v, err := s.get(key(pMeta, []byte(metaCQC)))
	if err != nil {
		return nil, err
	}
	return types.DecodeQC(v)
}

// quietLogger keeps Pebble's informational chatter out of the node's
// output; errors still surface through returned errors.
type quietLogger struct{}

func (quietLogger) Infof(string, ...interface{}) {}
func (quietLogger) Errorf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "pebble: "+format+"\n", args...)
}
func (quietLogger) Fatalf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "pebble: "+format+"\n", args...)
	os.Exit(1)
}

// Scan calls fn for each key with prefix, in key order, from the first key
// at or after start (start empty: from the prefix), until fn returns false.
// The slices are only valid during the call.
func (s *Store) Scan(prefix, start []byte, fn func(k, v []byte) bool) error {
	upper := append([]byte(nil), prefix...)
	for i := len(upper) - 1; i >= 0; i-- {
		if upper[i] < 0xff {
			upper[i]++
			upper = upper[:i+1]
			break
		}
		if i == 0 {
			upper = nil
		}
	}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: upper})
	if err != nil {
		return fmt.Errorf("store scan: %w", err)
	}
	defer it.Close()
	from := prefix
	if len(start) > 0 {
		from = start
	}
	for ok := it.SeekGE(from); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			return fmt.Errorf("store scan: %w", err)
		}
		if !fn(it.Key(), v) {
			break
		}
	}
	return it.Error()
}

// ScanReverse calls fn for each key with prefix, from the last in key
// order backwards, until fn returns false.
func (s *Store) ScanReverse(prefix []byte, fn func(k, v []byte) bool) error {
	upper := prefixEnd(prefix)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: upper})
	if err != nil {
		return fmt.Errorf("store scan: %w", err)
	}
	defer it.Close()
	for ok := it.Last(); ok; ok = it.Prev() {
		v, err := it.ValueAndErr()
		if err != nil {
			return fmt.Errorf("store scan: %w", err)
		}
		if !fn(it.Key(), v) {
			break
		}
	}
	return it.Error()
}

// prefixEnd is the first key after every key with prefix, nil if none.
func prefixEnd(prefix []byte) []byte {
	upper := append([]byte(nil), prefix...)
	for i := len(upper) - 1; i >= 0; i-- {
		if upper[i] < 0xff {
			upper[i]++
			return upper[:i+1]
		}
	}
	return nil
}
