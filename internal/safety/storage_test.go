package safety_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/lazchain/lazchain/internal/safety"
	"github.com/lazchain/lazchain/internal/types"
)

// sampleData returns data with every round set and, optionally, a stored
// vote and timeout; the timeout carries a TC so every optional part of the
// encoding is exercised.
func sampleData(withVote, withTimeout bool) safety.Data {
	d := safety.Data{Epoch: e, LastVotedRound: 9, PreferredRound: 6, OneChainRound: 7, LastProposedRound: 8}
	if withVote {
		b := blk(8, 7, 1)
		d.LastVote = &types.Vote{Epoch: e, Round: 8, BlockID: b.ID(), Voter: testIndex, Sig: bytes.Repeat([]byte{0xab}, 36)}
	}
	if withTimeout {
		d.LastTimeout = &types.Timeout{Epoch: e, Round: 9, HighQC: qc(7), LastTC: tc(8, 7, 5, 6), Voter: testIndex, Sig: bytes.Repeat([]byte{0xcd}, 36)}
	}
	return d
}

var sampleCases = []struct {
	name string
	data safety.Data
}{
	{"zero", safety.Data{}},
	{"rounds only", sampleData(false, false)},
	{"with vote", sampleData(true, false)},
	{"with timeout", sampleData(false, true)},
	{"with vote and timeout", sampleData(true, true)},
	{"timeout without tc", func() safety.Data {
		d := sampleData(false, true)
		d.LastTimeout.LastTC = nil
		return d
	}()},
}

// sameData compares by encoding: decoding turns nil slices into empty ones,
// which reflect.DeepEqual would report as a difference.
func sameData(t *testing.T, got, want safety.Data) {
	t.Helper()
	if !bytes.Equal(encode(got), encode(want)) {
		t.Errorf("data\n got  %+v\n want %+v", got, want)
	}
	if (got.LastVote == nil) != (want.LastVote == nil) || (got.LastTimeout == nil) != (want.LastTimeout == nil) {
		t.Errorf("optional parts differ: got vote %v timeout %v", got.LastVote != nil, got.LastTimeout != nil)
	}
}

func TestFileStorageRoundTrip(t *testing.T) {
	for _, c := range sampleCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "safety.dat")
			s := safety.NewFileStorage(path)
			// Store over an older state: the file is replaced, not appended to.
			if err := s.Store(safety.Data{Epoch: 99, LastVotedRound: 1234}); err != nil {
				t.Fatal(err)
			}
			if err := s.Store(c.data); err != nil {
				t.Fatal(err)
			}
			for name, st := range map[string]*safety.FileStorage{"same": s, "fresh": safety.NewFileStorage(path)} {
				got, err := st.Load()
				if err != nil {
					t.Fatalf("%s storage: %v", name, err)
				}
				sameData(t, got, c.data)
			}
			// The temporary file is renamed over the real one, never left
			// behind, and the file is private to the signer.
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].Name() != "safety.dat" {
				t.Errorf("directory holds %v, want only safety.dat", entries)
			}
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("file mode %v (%v), want 0600", fi.Mode(), err)
			}
		})
	}
}

func TestFileStorageMissingFile(t *testing.T) {
	s := safety.NewFileStorage(filepath.Join(t.TempDir(), "safety.dat"))
	d, err := s.Load()
	if err != nil {
		t.Fatalf("missing file: %v", err)
	}
	sameData(t, d, safety.Data{})
	_, key := simKey("safety-test-key")
	r, err := safety.New(chainID, key, s)
	if err != nil {
		t.Fatalf("New on a fresh directory: %v", err)
	}
	sameData(t, r.Data(), safety.Data{})
}

// TestFileStorageCorrupt: a damaged file must stop the signer. Reading it as
// zero or as partial data would forget a vote and allow a conflicting one.
func TestFileStorageCorrupt(t *testing.T) {
	good := encode(sampleData(true, true))
	mid := len(good) / 2
	flip := func(i int) func([]byte) []byte {
		return func(b []byte) []byte { b[i] ^= 0x01; return b }
	}
	cases := []struct {
		name   string
		mutate func([]byte) []byte
	}{
		{"flip version", flip(0)},
		{"flip a round", flip(1 + 8 + 7)},
		{"flip inside the vote", flip(mid)},
		{"flip the last checksum byte", flip(len(good) - 1)},
		{"empty", func(b []byte) []byte { return b[:0] }},
		{"one byte", func(b []byte) []byte { return b[:1] }},
		{"checksum only", func(b []byte) []byte { return b[len(b)-sha256.Size:] }},
		{"truncated to half", func(b []byte) []byte { return b[:mid] }},
		{"last byte lost", func(b []byte) []byte { return b[:len(b)-1] }},
		{"byte appended", func(b []byte) []byte { return append(b, 0) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "safety.dat")
			if err := os.WriteFile(path, c.mutate(bytes.Clone(good)), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := safety.NewFileStorage(path).Load(); !errors.Is(err, safety.ErrCorrupt) {
				t.Fatalf("Load: %v, want ErrCorrupt", err)
			}
			_, key := simKey("safety-test-key")
			r, err := safety.New(chainID, key, safety.NewFileStorage(path))
			if !errors.Is(err, safety.ErrCorrupt) || r != nil {
				t.Fatalf("New = %v, %v; want no signer and ErrCorrupt", r, err)
			}
		})
	}
}

// TestDecodeDataRejects covers bodies whose checksum is right but whose
// content is not what Encode writes: a bug or an old format, not bit rot.
func TestDecodeDataRejects(t *testing.T) {
	body := func(d safety.Data) []byte { b := d.Encode(); return b[:len(b)-sha256.Size] }
	seal := func(b []byte) []byte { s := sha256.Sum256(b); return append(bytes.Clone(b), s[:]...) }
	withSlots := func(vote, tmo []byte) []byte {
		b := body(safety.Data{})
		b = b[:len(b)-8] // the two empty length prefixes
		for _, s := range [][]byte{vote, tmo} {
			b = append(b, byte(len(s)>>24), byte(len(s)>>16), byte(len(s)>>8), byte(len(s)))
			b = append(b, s...)
		}
		return b
	}
	v, tmo := sampleData(true, true).LastVote, sampleData(true, true).LastTimeout
	cases := []struct {
		name string
		body []byte
	}{
		{"unknown version", append([]byte{2}, body(sampleData(false, false))[1:]...)},
		{"trailing byte", append(body(sampleData(false, false)), 0)},
		{"short body", body(sampleData(false, false))[:20]},
		{"timeout in the vote slot", withSlots(types.EncodeMessage(tmo), nil)},
		{"vote in the timeout slot", withSlots(nil, types.EncodeMessage(v))},
		{"garbage message", withSlots([]byte{1, 2, 3}, nil)},
		{"block request in the vote slot", withSlots(types.EncodeMessage(&types.BlockRequest{Count: 1}), nil)},
	}
	if _, err := safety.DecodeData(seal(withSlots(types.EncodeMessage(v), types.EncodeMessage(tmo)))); err != nil {
		t.Fatalf("control: well-formed slots rejected: %v", err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := safety.DecodeData(seal(c.body)); !errors.Is(err, safety.ErrCorrupt) {
				t.Fatalf("DecodeData: %v, want ErrCorrupt", err)
			}
		})
	}
}

// TestFileStorageStaleTmp: a crash during Store leaves a partial temporary
// file. The real file is still the last durable state, and the next Store
// overwrites the leftover.
func TestFileStorageStaleTmp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "safety.dat")
	s := safety.NewFileStorage(path)
	want := sampleData(true, false)
	if err := s.Store(want); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+".tmp", []byte("torn write"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := safety.NewFileStorage(path).Load()
	if err != nil {
		t.Fatal(err)
	}
	sameData(t, got, want)
	if err := s.Store(sampleData(true, true)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + ".tmp"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file left behind: %v", err)
	}
	got, err = safety.NewFileStorage(path).Load()
	if err != nil {
		t.Fatal(err)
	}
	sameData(t, got, sampleData(true, true))
}

// TestFileStorageIOErrors: I/O failures are errors, not a fresh start, and
// a signer whose store cannot write signs nothing.
func TestFileStorageIOErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := safety.NewFileStorage(dir).Load(); err == nil {
		t.Errorf("Load of a directory succeeded")
	}
	_, key := simKey("safety-test-key")
	if _, err := safety.New(chainID, key, safety.NewFileStorage(dir)); err == nil {
		t.Errorf("New over an unreadable path succeeded")
	}

	gone := safety.NewFileStorage(filepath.Join(dir, "missing", "safety.dat"))
	if err := gone.Store(sampleData(false, false)); err == nil {
		t.Fatalf("Store into a missing directory succeeded")
	}
	r, err := safety.New(chainID, key, gone)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.StartEpoch(e, testIndex); err == nil {
		t.Errorf("StartEpoch succeeded without storage")
	}
	if v, err := r.Vote(blockIn(0, 1, 0, 0), 0, nil); err == nil || v != nil || errors.Is(err, safety.ErrUnsafe) {
		t.Errorf("Vote without storage = %v, %v; want a storage error", v, err)
	}
	sameData(t, r.Data(), safety.Data{})
}

// TestRulesOverFileStorage: a signer restarted from the file has the same
// data, stored vote and timeout included.
func TestRulesOverFileStorage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "safety.dat")
	scheme, key := simKey("safety-test-key")
	newRules := func() *fixture {
		store := &countingStorage{inner: safety.NewFileStorage(path)}
		r, err := safety.New(chainID, key, store)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.StartEpoch(e, testIndex); err != nil {
			t.Fatal(err)
		}
		return &fixture{t: t, scheme: scheme, store: store, rules: r, index: testIndex}
	}
	f := newRules()
	f.expect(vote(blk(5, 4, 0), 3, nil), fresh)
	f.expect(timeout(e, 5, qc(4), nil), fresh)
	f.expect(propose(blk(6, 5, 0)), fresh)

	g := newRules()
	sameData(t, g.rules.Data(), f.rules.Data())
	if g.store.stores != 0 {
		t.Errorf("restart in the same epoch stored %d times", g.store.stores)
	}
	g.expect(vote(blk(5, 4, 0), 3, nil), replay)
	g.expect(timeout(e, 5, qc(4), nil), replay)
	g.expect(vote(blk(5, 4, 1), 3, nil), refused)
	g.expect(propose(blk(6, 5, 1)), refused)
}
