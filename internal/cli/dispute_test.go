package cli_test

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/rpc"
	"github.com/lazchain/lazchain/internal/types"
)

// Every flag is checked before the key is read or the node called: the
// node here does not exist.
func TestDisputeRejectsFlags(t *testing.T) {
	const dead = "http://127.0.0.1:1"
	id := strings.Repeat("ab", 32)
	key := filepath.Join(t.TempDir(), "acct.json")
	mustRun(t, "keys", "add", "--out", key)
	noKey := filepath.Join(t.TempDir(), "missing.json")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown claim", []string{"open", id, "--claim", "bogus", "--key", key}, `--claim "bogus": want one of wrong-verdict, wrong-digest, unavailable`},
		{"claim by number", []string{"open", id, "--claim", "1", "--key", key}, `--claim "1"`},
		{"no claim", []string{"open", id, "--key", key}, `required flag(s) "claim" not set`},
		{"missing key", []string{"open", id, "--claim", "wrong-verdict", "--key", noKey}, "lazchain keys add --out " + noKey},
		{"bad artifact id", []string{"open", "abc", "--claim", "wrong-digest", "--key", key}, `"abc" is not a 64-digit hex artifact id`},
		{"no artifact id", []string{"open", "--claim", "wrong-digest", "--key", key}, "accepts 1 arg"},
		{"fraud chunk alone", []string{"open", id, "--claim", "wrong-digest", "--fraud-chunk", "2", "--key", key}, "--fraud-chunk and --fraud-file go together"},
		{"fraud file alone", []string{"open", id, "--claim", "wrong-digest", "--fraud-file", key, "--key", key}, "--fraud-chunk and --fraud-file go together"},
		{"long note", []string{"open", id, "--claim", "unavailable", "--note", strings.Repeat("n", idao.MaxNote+1), "--key", key}, "--note has 257 bytes; at most 256 fit"},
		{"bad bond", []string{"open", id, "--claim", "unavailable", "--bond", "-5", "--key", key}, `invalid argument "-5" for "--bond"`},
		{"show bad id", []string{"show", "xyz"}, `"xyz" is not a 64-digit hex dispute id`},
		{"list bad status", []string{"list", "--status", "closed"}, `--status "closed": want one of open, upheld, rejected, expired, superseded`},
		{"list bad artifact", []string{"list", "--artifact", "12"}, `"12" is not a 64-digit hex artifact id`},
		{"list bad after", []string{"list", "--after", "12"}, `"12" is not a 64-digit hex dispute id`},
		{"list bad limit", []string{"list", "--limit", "1001"}, "--limit 1001: want 1..1000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run(t, append(append([]string{"dispute"}, tc.args...), "--node", dead)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "cannot reach node") {
				t.Fatalf("called the node before rejecting the flags: %v\n%s", err, out)
			}
		})
	}
	// Well-formed commands reach the (missing) node, named in the error.
	for _, args := range [][]string{
		{"open", id, "--claim", "wrong-verdict", "--key", key},
		{"show", id},
		{"list", "--status", "open", "--artifact", id},
	} {
		_, err := run(t, append(append([]string{"dispute"}, args...), "--node", dead)...)
		if err == nil || !strings.Contains(err.Error(), "cannot reach node") || !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("lazchain dispute %v: err = %v, want \"cannot reach node\" naming the URL", args, err)
		}
	}
}

// fakeNode answers the routes dispute open uses, for an artifact of three
// 4 KiB chunks in iDAO "q" whose policy bond is 750, and records the
// transaction submitted. Its dispute is open for the first two reads.
type fakeNode struct {
	t        *testing.T
	artifact rpc.ArtifactView
	mu       sync.Mutex
	tx       *types.Tx
	reads    int
}

func newFakeNode(t *testing.T, data []byte) (*fakeNode, *httptest.Server) {
	split, err := merkle.Split(strings.NewReader(string(data)), idao.MinChunkSize, nil)
	if err != nil {
		t.Fatal(err)
	}
	id := idao.ArtifactID(idao.Submit{IDAO: "q", Root: split.Root, Size: uint64(len(data)), ChunkSize: idao.MinChunkSize})
	f := &fakeNode{t: t, artifact: rpc.ArtifactView{ID: hex.EncodeToString(id[:]), IDAO: "q", Root: hex.EncodeToString(split.Root[:]),
		Size: uint64(len(data)), ChunkSize: idao.MinChunkSize, Status: "attested", Verdict: "valid"}}
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any) { json.NewEncoder(w).Encode(v) }
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) { reply(w, rpc.StatusView{ChainID: "fake"}) })
	mux.HandleFunc("GET /accounts/{a}", func(w http.ResponseWriter, _ *http.Request) { reply(w, rpc.AccountView{Nonce: 4}) })
	mux.HandleFunc("GET /artifacts/{id}", func(w http.ResponseWriter, _ *http.Request) { reply(w, f.artifact) })
	mux.HandleFunc("GET /idaos/q", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, rpc.IDAOView{Name: "q", Policy: rpc.PolicyView{DisputeBond: 750}})
	})
	mux.HandleFunc("POST /txs", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Tx string }
		json.NewDecoder(r.Body).Decode(&req)
		raw, _ := hex.DecodeString(req.Tx)
		tx, err := types.DecodeTx(raw)
		if err != nil {
			t.Errorf("submitted tx: %v", err)
			return
		}
		f.mu.Lock()
		f.tx = tx
		f.mu.Unlock()
		reply(w, rpc.SubmitView{Hash: tx.Hash().String(), Status: "committed", Height: 9})
	})
	mux.HandleFunc("GET /txs/{h}", func(w http.ResponseWriter, r *http.Request) {
		reply(w, rpc.TxView{Hash: r.PathValue("h"), Status: "committed", Height: 9, OK: true})
	})
	mux.HandleFunc("GET /disputes/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.reads++
		v := rpc.DisputeView{ID: r.PathValue("id"), Artifact: f.artifact.ID, IDAO: "q", Claim: "wrong-verdict", Bond: 750,
			Opened: 9, Deadline: 209, Status: "open", CertVerdict: "valid"}
		if f.reads > 2 {
			v.Status, v.Closed = "upheld", 12
			v.Ruling = &rpc.RulingView{ForChallenger: true, Verdict: "invalid", Reason: "row 3: bad", Height: 12, Slashed: 100, SlashedCount: 1, Reward: 10}
		}
		reply(w, v)
	})
	mux.HandleFunc("GET /disputes", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("status") != "open" || q.Get("artifact") != f.artifact.ID || q.Get("limit") != "1" {
			t.Errorf("GET /disputes?%s", r.URL.RawQuery)
		}
		d := rpc.DisputeView{ID: strings.Repeat("d1", 32), Artifact: f.artifact.ID, Claim: "unavailable", Status: "open", Opened: 9, Deadline: 209}
		reply(w, rpc.DisputesView{Disputes: []rpc.DisputeView{d}, Next: d.ID})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

// dispute open builds the challenge from the node's artifact and policy
// and the local file, sends it, prints the dispute id, and with --wait
// polls until the dispute is ruled on.
func TestDisputeOpenSendsTheChallenge(t *testing.T) {
	data := make([]byte, 2*idao.MinChunkSize+100) // chunks of 4096, 4096 and 100 bytes
	for i := range data {
		data[i] = byte(i * 7)
	}
	file := filepath.Join(t.TempDir(), "artifact.bin")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(t.TempDir(), "acct.json")
	mustRun(t, "keys", "add", "--out", key)

	for _, tc := range []struct {
		name  string
		args  []string
		bond  uint64
		chunk int64 // -1: no fraud proof
	}{
		{"policy bond, last chunk", []string{"--fraud-chunk", "2", "--fraud-file", file, "--note", "see chunk 2", "--wait", "--timeout", "20s"}, 750, 2},
		{"own bond, first chunk", []string{"--bond", "900", "--fraud-chunk", "0", "--fraud-file", file}, 900, 0},
		{"no proof", nil, 750, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, srv := newFakeNode(t, data)
			args := append([]string{"dispute", "open", f.artifact.ID, "--claim", "wrong-verdict", "--key", key, "--node", srv.URL}, tc.args...)
			out := mustRun(t, args...)
			tx := f.submitted()
			if tx == nil || tx.Kind != idao.KindChallenge || tx.Nonce != 4 || tx.ChainID != "fake" {
				t.Fatalf("submitted %+v", tx)
			}
			ch, err := idao.DecodeChallenge(tx.Body)
			if err != nil {
				t.Fatal(err)
			}
			artifact, _ := hex.DecodeString(f.artifact.ID)
			if hex.EncodeToString(ch.Artifact[:]) != f.artifact.ID || ch.Claim != idao.ClaimWrongVerdict || ch.Bond != tc.bond {
				t.Fatalf("challenge %+v", ch)
			}
			id := idao.DisputeID(types.Hash(artifact), idao.ClaimWrongVerdict)
			if !strings.HasPrefix(out, hex.EncodeToString(id[:])+"\n") {
				t.Fatalf("output does not start with the dispute id %x:\n%s", id, out)
			}
			waited := slices.Contains(tc.args, "--wait")
			if got := strings.Contains(out, "ruling       for the challenger at height 12: invalid"); got != waited {
				t.Fatalf("outcome printed %v, --wait %v:\n%s", got, waited, out)
			}
			if tc.chunk < 0 {
				if ch.Proof != nil {
					t.Fatalf("a proof without --fraud-chunk: %+v", ch.Proof)
				}
				return
			}
			checkProof(t, f.artifact, ch.Proof, uint64(tc.chunk), data)
		})
	}
}

// checkProof checks p as the chain does (idao.checkFraudProof): the
// chunk's length follows from size and chunk size, and its Merkle path
// leads to the artifact's root.
func checkProof(t *testing.T, a rpc.ArtifactView, p *idao.FraudProof, index uint64, data []byte) {
	t.Helper()
	cs := uint64(a.ChunkSize)
	count := (a.Size + cs - 1) / cs
	end := min((index+1)*cs, a.Size)
	if p == nil || p.Index != index || string(p.Chunk) != string(data[index*cs:end]) {
		t.Fatalf("proof %+v is not chunk %d", p, index)
	}
	path := make([]merkle.Hash, len(p.Path))
	for i, h := range p.Path {
		path[i] = merkle.Hash(h)
	}
	var root merkle.Hash
	r, _ := hex.DecodeString(a.Root)
	copy(root[:], r)
	if err := (merkle.Proof{Index: p.Index, Count: count, Path: path}).Verify(root, merkle.LeafHash(p.Chunk)); err != nil {
		t.Fatalf("chunk %d: %v", index, err)
	}
}

// A file that is not the artifact's bytes, a chunk past the end and a
// chunk too large for a transaction are refused before anything is sent.
func TestDisputeOpenRefusesBadProofs(t *testing.T) {
	data := make([]byte, 3*idao.MinChunkSize)
	dir := t.TempDir()
	file, other, big := filepath.Join(dir, "a.bin"), filepath.Join(dir, "b.bin"), filepath.Join(dir, "big.bin")
	os.WriteFile(file, data, 0o644)
	os.WriteFile(other, append(data[:len(data)-1:len(data)-1], 1), 0o644)
	key := filepath.Join(dir, "acct.json")
	mustRun(t, "keys", "add", "--out", key)

	f, srv := newFakeNode(t, data)
	base := []string{"dispute", "open", f.artifact.ID, "--claim", "wrong-digest", "--key", key, "--node", srv.URL}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--fraud-chunk", "0", "--fraud-file", other}, "is not artifact " + f.artifact.ID + "'s bytes"},
		{[]string{"--fraud-chunk", "3", "--fraud-file", file}, "--fraud-chunk 3: the artifact has 3 chunks"},
		{[]string{"--fraud-chunk", "0", "--fraud-file", filepath.Join(dir, "nope")}, "--fraud-file"},
	} {
		_, err := run(t, append(base, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want one containing %q", tc.args, err, tc.want)
		}
	}

	// Chunks of 64 KiB do not fit in a 64 KiB transaction with the rest.
	bigData := make([]byte, 2*types.MaxTxBytes)
	os.WriteFile(big, bigData, 0o644)
	f, srv = newFakeNode(t, bigData)
	f.artifact.ChunkSize = types.MaxTxBytes
	split, _ := merkle.Split(strings.NewReader(string(bigData)), types.MaxTxBytes, nil)
	f.artifact.Root = hex.EncodeToString(split.Root[:])
	_, err := run(t, "dispute", "open", f.artifact.ID, "--claim", "wrong-digest", "--key", key, "--node", srv.URL, "--fraud-chunk", "0", "--fraud-file", big)
	if err == nil || !strings.Contains(err.Error(), "open the dispute without --fraud-chunk") {
		t.Fatalf("oversized proof: %v", err)
	}
	if f.submitted() != nil {
		t.Fatal("a refused challenge was submitted")
	}
}

// submitted is the transaction the fake node received, if any.
func (f *fakeNode) submitted() *types.Tx {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tx
}

// show prints the record for a reader (or as JSON); list prints a table
// and the cursor of the next page.
func TestDisputeShowAndList(t *testing.T) {
	f, srv := newFakeNode(t, []byte("abc"))
	id := strings.Repeat("ef", 32)
	out := mustRun(t, "dispute", "show", id, "--node", srv.URL)
	for _, want := range []string{"dispute      " + id, "artifact     " + f.artifact.ID + " (idao q)", "status       open", "opened       height 9, ruling deadline height 209"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	var v rpc.DisputeView
	if err := json.Unmarshal([]byte(mustRun(t, "dispute", "show", id, "--json", "--node", srv.URL)), &v); err != nil || v.ID != id {
		t.Fatalf("show --json: %+v, %v", v, err)
	}
	out = mustRun(t, "dispute", "list", "--status", "open", "--artifact", f.artifact.ID, "--limit", "1", "--node", srv.URL)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID ") || !strings.Contains(lines[1], "open") || lines[2] != "more: --after "+strings.Repeat("d1", 32) {
		t.Fatalf("list:\n%s", out)
	}
}
