package rpc

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/merkle"
)

// fakeClock is a settable time source.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func quotaAt(perHour int64, c *fakeClock) *clientQuota {
	q := newClientQuota(perHour)
	q.now = c.now
	return q
}

func TestClientQuota(t *testing.T) {
	type step struct {
		advance  time.Duration
		client   string
		n        int64
		ok       bool
		wantWait time.Duration
	}
	for _, tc := range []struct {
		name    string
		perHour int64
		steps   []step
	}{
		{"budget and refill", 3600, []step{ // one byte a second, an hour's worth at once
			{0, "a", 3000, true, 0},
			{0, "a", 700, false, 100 * time.Second}, // refused: nothing charged
			{0, "a", 600, true, 0},
			{0, "b", 3600, true, 0}, // another client has its own budget
			{50 * time.Second, "a", 51, false, time.Second},
			{time.Second, "a", 51, true, 0},
			{2 * time.Hour, "a", 3600, true, 0}, // refills to an hour's worth, no more
			{0, "a", 1, false, time.Second},
		}},
		{"more than an hour's worth waits an hour at most", 3600, []step{
			{0, "a", 1 << 40, false, time.Hour},
		}},
		{"off", 0, []step{
			{0, "a", 1 << 40, true, 0},
			{0, "a", 1 << 40, true, 0},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Unix(1_000_000, 0)}
			q := quotaAt(tc.perHour, clock)
			for i, s := range tc.steps {
				clock.t = clock.t.Add(s.advance)
				ok, wait := q.take(s.client, s.n)
				if ok != s.ok || wait.Round(time.Millisecond) != s.wantWait {
					t.Fatalf("step %d: take(%s, %d) = %v, %v; want %v, %v", i, s.client, s.n, ok, wait, s.ok, s.wantWait)
				}
			}
		})
	}
}

// A full table forgets clients whose budget has refilled; while every
// remembered client is still drawing, a new one is refused.
func TestClientQuotaForgetsRefilled(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	q := quotaAt(3600, clock)
	for i := range maxQuotaClients {
		if ok, _ := q.take(strconv.Itoa(i), 3600); !ok {
			t.Fatalf("client %d refused", i)
		}
	}
	if ok, wait := q.take("new", 1); ok || wait <= 0 {
		t.Fatalf("new client with a full table of drawing clients: %v, %v; want refused with a wait", ok, wait)
	}
	clock.t = clock.t.Add(time.Hour)
	if ok, _ := q.take("new", 1); !ok {
		t.Fatal("new client refused after every budget refilled")
	}
	if len(q.clients) != 1 {
		t.Fatalf("%d clients remembered, want only the new one", len(q.clients))
	}
}

// onlyReader hides a reader's length, so the request streams its body
// without a Content-Length.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// Past its budget a client's uploads get 429 upload_quota with a
// Retry-After and store nothing, whether the body's length is declared
// or streamed, whole or by chunks; other clients are not affected.
func TestBlobUploadClientQuota(t *testing.T) {
	tn := startNode(t)
	store := tn.node.Blobs()
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	setQuota := func(perHour int64) { tn.srv.quota = quotaAt(perHour, clock) }
	put := func(url string, body io.Reader) (int, string, http.Header) {
		t.Helper()
		req, err := http.NewRequest(http.MethodPut, url, body)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data), resp.Header
	}
	refused := func(what string, code int, body string, h http.Header) {
		t.Helper()
		secs, err := strconv.Atoi(h.Get("Retry-After"))
		if code != http.StatusTooManyRequests || !strings.Contains(body, `"upload_quota"`) || err != nil || secs < 1 {
			t.Fatalf("%s: %d %s (Retry-After %q), want 429 upload_quota with a Retry-After", what, code, body, h.Get("Retry-After"))
		}
	}
	blobURL := tn.url + "/blobs?chunk_size=4096"

	setQuota(3 * 4096)
	if code, body, _ := put(blobURL, bytes.NewReader(blobData(20, 2*4096))); code != http.StatusOK {
		t.Fatalf("upload within the budget: %d %s", code, body)
	}
	before := store.Used()
	code, body, h := put(blobURL, bytes.NewReader(blobData(21, 2*4096)))
	refused("declared length past the budget", code, body, h)
	code, body, h = put(blobURL, onlyReader{bytes.NewReader(blobData(22, 2*4096))})
	refused("stream past the budget", code, body, h)
	if store.Used() != before {
		t.Fatalf("refused uploads changed the store: %d bytes, had %d", store.Used(), before)
	}

	// By chunks: the manifest and each chunk are charged.
	data := blobData(23, 3*4096)
	split, _ := merkle.Split(bytes.NewReader(data), 4096, nil)
	root := split.Root
	manifest := (&blob.Manifest{Root: root, Size: split.Size, ChunkSize: 4096, Leaves: split.Leaves}).Encode()
	clock.t = clock.t.Add(time.Hour)
	setQuota(int64(len(manifest)) + 4096 + 100)
	base := fmt.Sprintf("%s/blobs/%x", tn.url, root)
	if code, body, _ := put(base+"/manifest", bytes.NewReader(manifest)); code != http.StatusOK {
		t.Fatalf("manifest within the budget: %d %s", code, body)
	}
	if code, body, _ := put(base+"/chunks/0", bytes.NewReader(data[:4096])); code != http.StatusOK {
		t.Fatalf("chunk within the budget: %d %s", code, body)
	}
	before = store.Used()
	code, body, h = put(base+"/chunks/1", bytes.NewReader(data[4096:8192]))
	refused("chunk past the budget", code, body, h)
	if store.Used() != before {
		t.Fatalf("refused chunk changed the store: %d bytes, had %d", store.Used(), before)
	}
	clock.t = clock.t.Add(time.Hour)
	if code, body, _ := put(base+"/chunks/1", bytes.NewReader(data[4096:8192])); code != http.StatusOK {
		t.Fatalf("chunk after the budget refilled: %d %s", code, body)
	}

	// More than an hour's worth in one request can never fit: it is too
	// large, not something to retry.
	code, body, _ = put(blobURL, bytes.NewReader(blobData(24, 4*4096)))
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "by chunks") {
		t.Fatalf("upload over an hour's worth: %d %s, want 413 naming chunked uploads", code, body)
	}
}
