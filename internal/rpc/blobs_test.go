package rpc

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/merkle"
)

func blobData(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 77))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func httpDo(t *testing.T, method, url string, body []byte) (int, []byte, http.Header) {
	t.Helper()
	return httpDoReader(t, method, url, bytes.NewReader(body))
}

// httpDoReader is httpDo with any body: a reader other than a bytes.Reader
// streams without a declared length.
func httpDoReader(t *testing.T, method, url string, body io.Reader) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data, resp.Header
}

// A streamed upload comes back chunk by chunk, each with a proof that the
// client checks against the root.
func TestBlobStreamUploadAndVerifiedDownload(t *testing.T) {
	tn := startNode(t)
	data := blobData(1, 3*4096+100)
	code, body, _ := httpDo(t, http.MethodPut, tn.url+"/blobs?chunk_size=4096", data)
	if code != 200 {
		t.Fatalf("PUT /blobs: %d %s", code, body)
	}
	want, _ := merkle.Split(bytes.NewReader(data), 4096, nil)
	if !strings.Contains(string(body), hex.EncodeToString(want.Root[:])) || !strings.Contains(string(body), `"missing":[]`) {
		t.Fatalf("PUT /blobs answered %s", body)
	}
	m, err := tn.client.Manifest(testCtx(t), want.Root)
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	for i := uint64(0); i < m.Count(); i++ {
		c, err := tn.client.Chunk(testCtx(t), m, i)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, c...)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("downloaded bytes differ")
	}
}

// Chunk-by-chunk upload: announce the manifest, send what is missing; a
// tampered chunk is refused with bad_chunk and not stored.
func TestBlobChunkedUploadRejectsTampering(t *testing.T) {
	tn := startNode(t)
	data := blobData(2, 2*1000+1)
	split, _ := merkle.Split(bytes.NewReader(data), 1000, nil)
	m := &blob.Manifest{Root: split.Root, Size: split.Size, ChunkSize: 1000, Leaves: split.Leaves}
	view, err := tn.client.PutManifest(testCtx(t), m)
	if err != nil || len(view.Missing) != 3 {
		t.Fatalf("announce: %+v %v", view, err)
	}
	bad := append([]byte(nil), data[:1000]...)
	bad[3] ^= 1
	var apiErr *APIError
	if err := tn.client.PutChunk(testCtx(t), m.Root, 0, bad); !errors.As(err, &apiErr) || apiErr.Code != "bad_chunk" {
		t.Fatalf("tampered chunk: %v", err)
	}
	for i := uint64(0); i < 3; i++ {
		if err := tn.client.PutChunk(testCtx(t), m.Root, i, data[i*1000:min(uint64(len(data)), (i+1)*1000)]); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := tn.client.Blob(testCtx(t), m.Root); err != nil || len(v.Missing) != 0 || v.Size != int64(len(data)) {
		t.Fatalf("after upload: %+v %v", v, err)
	}
}

func TestBlobBadInput(t *testing.T) {
	tn := startNode(t)
	unknown := strings.Repeat("ab", 32)
	cases := []struct {
		method, path string
		body         []byte
		status       int
		code         string
	}{
		{"PUT", "/blobs?chunk_size=0", nil, 400, "bad_chunk_size"},
		{"PUT", "/blobs?chunk_size=abc", nil, 400, "bad_chunk_size"},
		{"PUT", "/blobs?chunk_size=99999999", nil, 400, "bad_chunk_size"},
		{"GET", "/blobs/zz", nil, 400, "bad_root"},
		{"GET", "/blobs/" + unknown, nil, 404, "not_found"},
		{"GET", "/blobs/" + unknown + "/chunks/0", nil, 404, "not_found"},
		{"GET", "/blobs/" + unknown + "/chunks/x", nil, 400, "bad_index"},
		{"PUT", "/blobs/" + unknown + "/chunks/0", []byte("x"), 404, "not_found"},
		{"PUT", "/blobs/" + unknown + "/manifest", []byte("garbage"), 400, "bad_manifest"},
		{"DELETE", "/blobs/" + unknown, nil, 405, "method_not_allowed"},
	}
	for _, c := range cases {
		code, body, _ := httpDo(t, c.method, tn.url+c.path, c.body)
		if code != c.status || !strings.Contains(string(body), `"code":"`+c.code+`"`) {
			t.Errorf("%s %s: %d %s, want %d %s", c.method, c.path, code, body, c.status, c.code)
		}
	}
}

// Proofs travel in a header; malformed ones are refused, not half-read.
func TestParseProofRoundTrip(t *testing.T) {
	leaves := []merkle.Hash{merkle.LeafHash([]byte("a")), merkle.LeafHash([]byte("b")), merkle.LeafHash([]byte("c"))}
	p, _ := merkle.Prove(leaves, 2)
	back, err := ParseProof(FormatProof(p))
	if err != nil || back.Index != 2 || back.Count != 3 || len(back.Path) != len(p.Path) {
		t.Fatalf("round trip: %+v %v", back, err)
	}
	for _, bad := range []string{"", "1/2", "x/2/", "1/y/", "1/2/zz"} {
		if _, err := ParseProof(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// The proof header comes from whatever node served the chunk.
func FuzzParseProof(f *testing.F) {
	leaves := []merkle.Hash{merkle.LeafHash([]byte("a")), merkle.LeafHash([]byte("b")), merkle.LeafHash([]byte("c"))}
	p, _ := merkle.Prove(leaves, 1)
	f.Add(FormatProof(p))
	f.Add("0/1/")
	f.Add("1/2/zz")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseProof(s)
		if err != nil {
			return
		}
		if len(p.Path) > 64 {
			t.Fatalf("path of %d accepted", len(p.Path))
		}
		if back, err := ParseProof(FormatProof(p)); err != nil || back.Index != p.Index || back.Count != p.Count || len(back.Path) != len(p.Path) {
			t.Fatalf("format then parse changed the proof: %v", err)
		}
	})
}

// UploadFile sends every chunk (several at once) and reports each; a
// second upload of the same file finds nothing missing and sends nothing.
func TestUploadFileParallelAndResumable(t *testing.T) {
	tn := startNode(t)
	data := blobData(3, 37*1024+5)
	path := filepath.Join(t.TempDir(), "data.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		wantCalls int
	}{{"first upload", 38}, {"again", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			calls, last := 0, int64(0)
			m, err := tn.client.UploadFile(testCtx(t), path, 1024, func(done, total int, bytes int64) {
				calls, last = calls+1, bytes
				if done != calls || total != tc.wantCalls {
					t.Errorf("progress %d/%d at call %d, want total %d", done, total, calls, tc.wantCalls)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if calls != tc.wantCalls || (calls > 0 && last != int64(len(data))) {
				t.Fatalf("%d progress calls ending at %d bytes, want %d calls", calls, last, tc.wantCalls)
			}
			v, err := tn.client.Blob(testCtx(t), m.Root)
			if err != nil || len(v.Missing) != 0 || v.Size != int64(len(data)) {
				t.Fatalf("after upload: %+v %v", v, err)
			}
			r, _, err := tn.node.Blobs().Reader(m.Root)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := io.ReadAll(r); !bytes.Equal(got, data) {
				t.Fatal("stored bytes differ from the file")
			}
		})
	}
}

// An upload past the store's quota gets 507 storage_full and leaves the
// store as it was.
func TestBlobUploadPastQuota(t *testing.T) {
	tn := startNode(t)
	store := tn.node.Blobs()
	store.SetLimits(store.Used()+4096, 0)
	before := store.Used()
	code, body, _ := httpDo(t, http.MethodPut, tn.url+"/blobs?chunk_size=4096", blobData(9, 3*4096))
	if code != http.StatusInsufficientStorage || !strings.Contains(string(body), `"storage_full"`) {
		t.Fatalf("PUT /blobs past the quota: %d %s, want 507 storage_full", code, body)
	}
	if store.Used() != before {
		t.Fatalf("refused upload changed the store: %d bytes, had %d", store.Used(), before)
	}
	code, body, _ = httpDo(t, http.MethodPut, tn.url+"/blobs?chunk_size=4096", blobData(10, 1000))
	if code != http.StatusOK {
		t.Fatalf("PUT /blobs within the quota: %d %s", code, body)
	}
}

// slowReader hands out data a piece at a time with a pause before each.
type slowReader struct {
	data  []byte
	piece int
	pause time.Duration
}

func (r *slowReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.pause)
	n := copy(p[:min(len(p), r.piece)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// A whole-blob upload may take longer than the server's read and write
// timeouts (they bound every other request): it is stored and answered.
func TestSlowBlobUploadIsAnswered(t *testing.T) {
	tn := startNode(t)
	ts := httptest.NewUnstartedServer(tn.srv.Handler())
	ts.Config.ReadTimeout, ts.Config.WriteTimeout = 200*time.Millisecond, 200*time.Millisecond
	ts.Start()
	defer ts.Close()
	data := blobData(9, 8*1024)
	code, body, _ := httpDoReader(t, http.MethodPut, ts.URL+"/blobs?chunk_size=1024", &slowReader{data: data, piece: 1024, pause: 80 * time.Millisecond})
	if code != http.StatusOK {
		t.Fatalf("PUT /blobs: %d %s", code, body)
	}
	want, _ := merkle.Split(bytes.NewReader(data), 1024, nil)
	if !strings.Contains(string(body), hex.EncodeToString(want.Root[:])) {
		t.Fatalf("PUT /blobs answered %s", body)
	}
}

// cutReader gives n bytes, then fails as a connection closed mid-body does.
type cutReader struct{ n int }

func (r *cutReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	k := min(len(p), r.n)
	r.n -= k
	return k, nil
}

// An upload whose body breaks off is the client's failure (400), not the
// node's (500) and not an oversized body (413); nothing is stored.
func TestUploadCutShort(t *testing.T) {
	tn := startNode(t)
	root := strings.Repeat("ab", 32)
	for _, path := range []string{"/blobs?chunk_size=1024", "/blobs/" + root + "/manifest"} {
		req := httptest.NewRequest(http.MethodPut, path, &cutReader{n: 10})
		req.ContentLength = 1000
		rec := httptest.NewRecorder()
		tn.srv.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"bad_body"`) {
			t.Errorf("PUT %s cut short: %d %s, want 400 bad_body", path, rec.Code, rec.Body)
		}
	}
}

// A chunk whose copy rotted on the node's disk is not served, and the
// answer says it is not here (404), not that the request was bad: a
// downloader then tries another node.
func TestRottenChunkIsNotFound(t *testing.T) {
	tn := startNode(t)
	r := tn.do(t, http.MethodPut, "/blobs?chunk_size=4", "application/octet-stream", []byte("aaaabbbbcccc"))
	var v BlobView
	if err := json.Unmarshal(r.body, &v); err != nil || r.status != http.StatusOK {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	files, _ := filepath.Glob(filepath.Join(os.TempDir(), t.Name()+"*", "*", "blobs", "chunks", "*", "*"))
	if len(files) == 0 {
		t.Fatal("no chunk files found")
	}
	for _, f := range files {
		if err := os.WriteFile(f, []byte("XXXX"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		g := tn.do(t, http.MethodGet, "/blobs/"+v.Root+"/chunks/0", "", nil)
		if g.status != http.StatusNotFound || !strings.Contains(string(g.body), `"code":"not_found"`) {
			t.Fatalf("rotten chunk: %d %s", g.status, g.body)
		}
	}
}

// An upload must keep arriving to keep its slot: connections trickling a
// byte now and then held every upload slot for the whole upload deadline
// (30 minutes), and every other client got 503 busy.
func TestTricklingUploadsLoseTheirSlots(t *testing.T) {
	old := uploadIdle
	uploadIdle = 3 * time.Second // past the 2 s a request waits for a slot
	defer func() { uploadIdle = old }()
	tn := startNode(t)
	addr := strings.TrimPrefix(tn.url, "http://")
	var conns []net.Conn
	for range config.DefaultMaxUploads {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "PUT /blobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n")
		conns = append(conns, c)
	}
	time.Sleep(200 * time.Millisecond)
	if r := tn.do(t, http.MethodPut, "/blobs", "application/octet-stream", []byte("while busy")); r.status != http.StatusServiceUnavailable {
		t.Fatalf("with every slot held: %d %s, want 503", r.status, r.body)
	}
	for range 2 { // they keep trickling, too slowly
		time.Sleep(time.Second)
		for _, c := range conns {
			fmt.Fprintf(c, "1\r\na\r\n")
		}
	}
	if r := tn.do(t, http.MethodPut, "/blobs", "application/octet-stream", []byte("after the tricklers")); r.status != http.StatusOK {
		t.Fatalf("after the tricklers stalled: %d %s, want 200", r.status, r.body)
	}
}
