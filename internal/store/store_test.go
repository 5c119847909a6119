package store

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"github.com/lazchain/lazchain/internal/blocklog"
	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/safety"
	"github.com/lazchain/lazchain/internal/types"
)

const testChain = "lazchain-store-test"

var genesis = types.GenesisBlock(testChain, 1)

// qc certifies b in round; signatures mean nothing to the store.
func qc(b *types.Block, round uint64) *types.QC {
	if b == genesis {
		return types.GenesisQC(1, genesis.ID())
	}
	s := types.NewBitmap(4)
	s.Set(0)
	s.Set(2)
	return &types.QC{Epoch: 1, Round: round, BlockID: b.ID(), Signers: s, Sig: bytes.Repeat([]byte{byte(round)}, types.MaxSignatureSize)}
}

func tc(round, hqc uint64) *types.TC {
	s := types.NewBitmap(4)
	s.Set(1)
	return &types.TC{Epoch: 1, Round: round, Signers: s, HQCRounds: []uint64{hqc}, Sig: bytes.Repeat([]byte{0xee}, types.MaxSignatureSize)}
}

func signedTx(i int, nonce uint64) *types.Tx {
	seed := sha256.Sum256([]byte{byte(i)})
	tx := &types.Tx{ChainID: testChain, Nonce: nonce, Kind: 2, Body: []byte("store test")}
	tx.Sign(ed25519.NewKeyFromSeed(seed[:]))
	return tx
}

// child builds the block of round on parent (certified in parent.Round).
func child(parent *types.Block, round uint64, ntx int) *types.Block {
	var txs []*types.Tx
	for i := 0; i < ntx; i++ {
		txs = append(txs, signedTx(i, round))
	}
	return types.NewBlock(1, round, parent.Height+1, qc(parent, parent.Round), 0, txs)
}

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// pendingIDs reads the raw pending index, lowest height first.
func pendingIDs(t *testing.T, s *Store) []types.Hash {
	t.Helper()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{pPending}, UpperBound: []byte{pPending + 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var out []types.Hash
	for it.First(); it.Valid(); it.Next() {
		var id types.Hash
		copy(id[:], it.Key()[1+heightSz:])
		out = append(out, id)
	}
	return out
}

func ids(bs ...*types.Block) []types.Hash {
	out := make([]types.Hash, len(bs))
	for i, b := range bs {
		out[i] = b.ID()
	}
	return out
}

func sameBlock(t *testing.T, what string, got, want *types.Block) {
	t.Helper()
	if got == nil || got.ID() != want.ID() || !bytes.Equal(got.Encode(), want.Encode()) {
		t.Fatalf("%s: got block %v, want %s", what, got, want.ID().Short())
	}
}

func sameQC(t *testing.T, what string, got, want *types.QC) {
	t.Helper()
	if (got == nil) != (want == nil) || (got != nil && !bytes.Equal(types.EncodeQC(got), types.EncodeQC(want))) {
		t.Fatalf("%s: got %+v, want %+v", what, got, want)
	}
}

func sameTC(t *testing.T, what string, got, want *types.TC) {
	t.Helper()
	if (got == nil) != (want == nil) || (got != nil && !bytes.Equal(types.EncodeTC(got), types.EncodeTC(want))) {
		t.Fatalf("%s: got %+v, want %+v", what, got, want)
	}
}

func TestFreshStore(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	snap, err := s.Snapshot(genesis)
	if err != nil {
		t.Fatal(err)
	}
	sameBlock(t, "committed", snap.Committed, genesis)
	if !snap.HighQC.IsGenesis() || snap.HighQC.BlockID != genesis.ID() || snap.HighTC != nil || len(snap.Blocks) != 0 {
		t.Fatalf("fresh snapshot: %+v", snap)
	}
	if _, _, err := s.Tip(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Tip: %v", err)
	}
	if _, err := s.CommitQC(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("CommitQC: %v", err)
	}
	if _, err := s.BlockAt(1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("BlockAt(1): %v", err)
	}
	if _, err := s.Block(genesis.ID()); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Block(genesis): %v", err)
	}
	if err := s.Apply(&consensus.Ready{}); err != nil {
		t.Fatalf("empty Apply: %v", err)
	}
	if d, err := s.SafetyStorage().Load(); err != nil || d.Epoch != 0 || d.LastVote != nil {
		t.Fatalf("fresh safety data: %+v, %v", d, err)
	}
}

// Each step applies a Ready, reopens the store and checks what a restart
// would recover.
func TestApplyAndRecover(t *testing.T) {
	b1 := child(genesis, 1, 2)
	b2 := child(b1, 2, 1)
	fork2 := child(b1, 3, 0) // a competing block at height 2
	b3 := child(b2, 4, 500)  // over logThreshold: stored in the block log
	b4 := child(b3, 5, 0)
	b5 := child(b4, 6, 1)
	b6 := child(b5, 7, 0)
	b7 := child(b6, 8, 0)
	fork7 := child(b6, 9, 500)

	steps := []struct {
		name      string
		ready     consensus.Ready
		kvs       []KV
		tip       *types.Block
		committed []*types.Block // heights 1.. of the committed chain so far
		pending   []*types.Block // raw pending index, by height
		highQC    *types.QC
		highTC    *types.TC
		commitQC  *types.QC
		state     map[string]string // state key -> value ("" means absent)
	}{
		{name: "blocks only", ready: consensus.Ready{Blocks: []*types.Block{b1, b2}, HighQC: qc(b1, 1)},
			pending: []*types.Block{b1, b2}, highQC: qc(b1, 1)},
		{name: "commit two, fork pruned",
			ready: consensus.Ready{Blocks: []*types.Block{fork2, b3, b4}, HighQC: qc(b3, 4), HighTC: tc(3, 2),
				Committed: []*types.Block{b1, b2}, CommitQC: qc(b3, 4)},
			kvs: []KV{{Key: []byte("Xa"), Value: []byte("1")}, {Key: []byte("Xb"), Value: []byte("2")}},
			tip: b2, committed: []*types.Block{b1, b2}, pending: []*types.Block{b3, b4},
			highQC: qc(b3, 4), highTC: tc(3, 2), commitQC: qc(b3, 4), state: map[string]string{"Xa": "1", "Xb": "2"}},
		{name: "state only", kvs: []KV{{Key: []byte("Xa"), Value: []byte("3")}},
			tip: b2, committed: []*types.Block{b1, b2}, pending: []*types.Block{b3, b4},
			highQC: qc(b3, 4), highTC: tc(3, 2), commitQC: qc(b3, 4), state: map[string]string{"Xa": "3", "Xb": "2"}},
		{name: "commit stored earlier, tc kept",
			ready: consensus.Ready{Blocks: []*types.Block{b5}, HighQC: qc(b4, 5), Committed: []*types.Block{b3}, CommitQC: qc(b4, 5)},
			tip:   b3, committed: []*types.Block{b1, b2, b3}, pending: []*types.Block{b4, b5},
			highQC: qc(b4, 5), highTC: tc(3, 2), commitQC: qc(b4, 5), state: map[string]string{"Xa": "3", "Xc": ""}},
		{name: "commit blocks of the same ready",
			ready: consensus.Ready{Blocks: []*types.Block{b6, b7, fork7}, HighQC: qc(b6, 7), HighTC: tc(9, 7),
				Committed: []*types.Block{b4, b5, b6}, CommitQC: qc(b7, 8)},
			tip: b6, committed: []*types.Block{b1, b2, b3, b4, b5, b6}, pending: []*types.Block{b7, fork7},
			highQC: qc(b6, 7), highTC: tc(9, 7), commitQC: qc(b7, 8)},
	}
	dir := t.TempDir()
	for _, st := range steps {
		// The index orders blocks by height, then id.
		slices.SortFunc(st.pending, func(a, b *types.Block) int {
			return bytes.Compare(pendingKey(a.Height, a.ID()), pendingKey(b.Height, b.ID()))
		})
		t.Run(st.name, func(t *testing.T) {
			s := open(t, dir)
			if err := s.Apply(&st.ready); err != nil {
				t.Fatal(err)
			}
			if err := s.WriteState(st.kvs, true); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = open(t, dir) // what survives a restart
			defer s.Close()

			snap, err := s.Snapshot(genesis)
			if err != nil {
				t.Fatal(err)
			}
			wantTip := genesis
			if st.tip != nil {
				wantTip = st.tip
				h, id, err := s.Tip()
				if err != nil || h != st.tip.Height || id != st.tip.ID() {
					t.Fatalf("Tip = %d %s, %v", h, id.Short(), err)
				}
			}
			sameBlock(t, "snapshot committed", snap.Committed, wantTip)
			// The committed blocks below the tip, for the leader draw.
			var recent []*types.Block
			if k := len(st.committed); k > 0 {
				recent = st.committed[max(0, k-1-consensus.RecentNeeded) : k-1]
			}
			if !slices.Equal(ids(snap.Recent...), ids(recent...)) {
				t.Fatalf("snapshot recent %v, want %v", ids(snap.Recent...), ids(recent...))
			}
			var above []*types.Block
			for _, b := range st.pending {
				if b.Height > wantTip.Height {
					above = append(above, b)
				}
			}
			if !slices.Equal(ids(snap.Blocks...), ids(above...)) {
				t.Fatalf("snapshot blocks %v, want %v", ids(snap.Blocks...), ids(above...))
			}
			for i, b := range snap.Blocks {
				sameBlock(t, "snapshot block", b, above[i])
			}
			if got := pendingIDs(t, s); !slices.Equal(got, ids(st.pending...)) {
				t.Fatalf("pending index %v, want %v", got, ids(st.pending...))
			}
			sameQC(t, "high qc", snap.HighQC, st.highQC)
			sameTC(t, "high tc", snap.HighTC, st.highTC)
			cqc, err := s.CommitQC()
			if st.commitQC == nil && !errors.Is(err, ErrNotFound) {
				t.Fatalf("CommitQC before any commit: %v", err)
			}
			sameQC(t, "commit qc", cqc, st.commitQC)

			for i, b := range st.committed {
				got, err := s.BlockAt(uint64(i + 1))
				if err != nil {
					t.Fatalf("BlockAt(%d): %v", i+1, err)
				}
				sameBlock(t, "BlockAt", got, b)
			}
			if _, err := s.BlockAt(uint64(len(st.committed) + 1)); !errors.Is(err, ErrNotFound) {
				t.Fatalf("BlockAt above the tip: %v", err)
			}
			for _, b := range append(st.pending, st.committed...) {
				got, err := s.Block(b.ID())
				if err != nil {
					t.Fatalf("Block(%s): %v", b.ID().Short(), err)
				}
				sameBlock(t, "Block", got, b)
			}
			for k, want := range st.state {
				v, err := s.Get([]byte(k))
				if want == "" && !errors.Is(err, ErrNotFound) || want != "" && (err != nil || string(v) != want) {
					t.Fatalf("Get(%s) = %q, %v; want %q", k, v, err, want)
				}
			}
		})
	}
}

// A dead fork's block stays readable by id (peers may ask for it) but is
// never in the committed index.
func TestForkNotIndexed(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	b1 := child(genesis, 1, 0)
	fork := child(genesis, 2, 1)
	b2 := child(b1, 3, 0)
	if err := s.Apply(&consensus.Ready{Blocks: []*types.Block{b1, fork, b2}, Committed: []*types.Block{b1}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.BlockAt(1)
	if err != nil {
		t.Fatal(err)
	}
	sameBlock(t, "height 1", got, b1)
	if got, err := s.Block(fork.ID()); err != nil {
		t.Fatalf("fork block: %v", err)
	} else {
		sameBlock(t, "fork", got, fork)
	}
	if p := pendingIDs(t, s); !slices.Equal(p, ids(b2)) {
		t.Fatalf("pending %v, want only b2", p)
	}
}

func TestSafetyStorage(t *testing.T) {
	dir := t.TempDir()
	b := child(genesis, 1, 0)
	datas := []safety.Data{
		{Epoch: 1, LastVotedRound: 1},
		{Epoch: 1, LastVotedRound: 5, PreferredRound: 3, OneChainRound: 4, LastProposedRound: 5,
			LastVote: &types.Vote{Epoch: 1, Round: 5, BlockID: b.ID(), Voter: 2, Sig: bytes.Repeat([]byte{7}, types.MaxSignatureSize)}},
		{Epoch: 2, LastVotedRound: 9, LastTimeout: &types.Timeout{Epoch: 2, Round: 9, HighQC: qc(b, 1), LastTC: tc(8, 1),
			Voter: 1, Sig: bytes.Repeat([]byte{9}, types.MaxSignatureSize)}},
	}
	for i, d := range datas {
		s := open(t, dir)
		if err := s.SafetyStorage().Store(d); err != nil {
			t.Fatal(err)
		}
		s.Close()
		s = open(t, dir)
		got, err := s.SafetyStorage().Load()
		s.Close()
		if err != nil || !bytes.Equal(got.Encode(), d.Encode()) {
			t.Fatalf("data %d: loaded %+v, %v; stored %+v", i, got, err, d)
		}
	}

	// Corrupt data must not load as a fresh signer.
	s := open(t, dir)
	defer s.Close()
	enc := datas[1].Encode()
	enc[10] ^= 1
	if err := s.db.Set([]byte{pSafety}, enc, pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SafetyStorage().Load(); !errors.Is(err, safety.ErrCorrupt) {
		t.Fatalf("corrupt safety data: %v", err)
	}
}

// Height keys sort numerically, so the pending range delete covers exactly
// the heights at or below the tip.
func TestKeyOrder(t *testing.T) {
	for _, h := range []uint64{0, 1, 255, 256, 1 << 40} {
		k := heightKey(h)
		if k[0] != pHeight || binary.BigEndian.Uint64(k[1:]) != h {
			t.Fatalf("heightKey(%d) = %x", h, k)
		}
		var top types.Hash
		for i := range top {
			top[i] = 0xff
		}
		if bytes.Compare(pendingKey(h, top), pendingKey(h+1, types.Hash{})) >= 0 {
			t.Fatalf("pending key of height %d does not sort below %d", h, h+1)
		}
	}
}

// The node's safety storage holds the signer's state until the next Apply
// writes it with the Ready's blocks: the driver sends the Ready's
// signatures only after that write, so one fsync covers both.
func TestSafetyStorageWritesWithApply(t *testing.T) {
	s := open(t, t.TempDir())
	defer s.Close()
	ss := s.SafetyStorage()
	old := safety.Data{Epoch: 1, LastVotedRound: 3}
	if err := ss.Store(old); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(&consensus.Ready{}); err != nil {
		t.Fatal(err)
	}
	onDisk := func() []byte {
		v, err := s.get([]byte{pSafety})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if !bytes.Equal(onDisk(), old.Encode()) {
		t.Fatal("an empty Ready did not write the held safety data")
	}

	newer := safety.Data{Epoch: 1, LastVotedRound: 4}
	if err := ss.Store(newer); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk(), old.Encode()) {
		t.Fatal("Store wrote before Apply")
	}
	if got, err := ss.Load(); err != nil || got.LastVotedRound != 4 {
		t.Fatalf("Load sees %+v, %v; want the held round 4", got, err)
	}
	b := child(genesis, 1, 0)
	if err := s.Apply(&consensus.Ready{Blocks: []*types.Block{b}}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(onDisk(), newer.Encode()) {
		t.Fatal("Apply did not write the held safety data with the block")
	}
}

// Blocks from logThreshold on go to the block log, smaller ones stay in
// Pebble; both read back after a reopen, and a damaged log record is an
// error naming the block, never a different block.
func TestLargeBlocksInTheLog(t *testing.T) {
	small, large := child(genesis, 1, 2), child(genesis, 2, 500)
	if len(small.Encode()) >= logThreshold || len(large.Encode()) < logThreshold {
		t.Fatalf("sizes %d and %d do not straddle %d", len(small.Encode()), len(large.Encode()), logThreshold)
	}
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.Apply(&consensus.Ready{Blocks: []*types.Block{small, large}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		b      *types.Block
		prefix byte
	}{{small, pBlock}, {large, pBlockAt}} {
		id := c.b.ID()
		if _, err := s.get(key(c.prefix, id[:])); err != nil {
			t.Fatalf("block of %d bytes not under %q: %v", len(c.b.Encode()), c.prefix, err)
		}
	}
	s.Close()

	s = open(t, dir)
	for _, b := range []*types.Block{small, large} {
		got, err := s.Block(b.ID())
		if err != nil {
			t.Fatal(err)
		}
		sameBlock(t, "after reopen", got, b)
	}
	s.Close()

	seg := filepath.Join(dir, "blocks", "seg-00000000.log")
	raw, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/2] ^= 0xff
	if err := os.WriteFile(seg, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	defer s.Close()
	if got, err := s.Block(large.ID()); !errors.Is(err, blocklog.ErrCorrupt) || got != nil {
		t.Fatalf("damaged block read: %v, %v", got != nil, err)
	}
	if _, err := s.Block(small.ID()); err != nil {
		t.Fatalf("inline block after the log was damaged: %v", err)
	}
}
