package rpc

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
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
		wantWait time.Duration // for a refusal: until the budget covers n
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
				var wait time.Duration
				if !s.ok {
					wait = q.waitFor(s.client, s.n)
				}
				if ok := q.take(s.client, s.n); ok != s.ok || wait.Round(time.Millisecond) != s.wantWait {
					t.Fatalf("step %d: take(%s, %d) = %v after a wait of %v; want %v, %v", i, s.client, s.n, ok, wait, s.ok, s.wantWait)
				}
			}
		})
	}
}

// A refund gives back what a failed upload was charged, up to the burst.
func TestClientQuotaRefund(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	q := quotaAt(3600, clock)
	if !q.take("a", 3000) {
		t.Fatal("first take refused")
	}
	q.refund("a", 2000)
	if !q.take("a", 2600) || q.take("a", 1) {
		t.Fatal("refund did not restore exactly what was charged")
	}
	q.refund("a", 1<<40)
	if q.waitFor("a", 3600) != 0 || q.waitFor("a", 3601) == 0 {
		t.Fatal("a refund filled the budget past an hour's worth")
	}
}

// A full table never refuses a new client: it forgets the clients whose
// budget has refilled, and failing that an arbitrary one.
func TestClientQuotaFullTable(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	q := quotaAt(3600, clock)
	for i := range maxQuotaClients - 1 {
		if !q.take(strconv.Itoa(i), 3600) {
			t.Fatalf("client %d refused", i)
		}
	}
	clock.t = clock.t.Add(time.Hour)
	if !q.take("drawing", 3600) {
		t.Fatal("client refused")
	}
	if !q.take("new", 1) {
		t.Fatal("new client refused for a full table")
	}
	if len(q.clients) != 2 || q.waitFor("drawing", 1) == 0 {
		t.Fatalf("%d clients remembered, want the two still drawing (and their budgets kept)", len(q.clients))
	}
	for i := range maxQuotaClients {
		q.take("x"+strconv.Itoa(i), 1)
	}
	if len(q.clients) != maxQuotaClients {
		t.Fatalf("%d clients remembered, want at most %d", len(q.clients), maxQuotaClients)
	}
}

func TestClientOf(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"192.0.2.7:5555", "192.0.2.7"},
		{"[2001:db8::1]:1", "2001:db8::/64"},
		{"[2001:db8::ffff:2]:2", "2001:db8::/64"},
		{"[2001:db8:0:1::1]:1", "2001:db8:0:1::/64"},
		{"not an address", "not an address"},
	} {
		if got := clientOf(&http.Request{RemoteAddr: tc.addr}); got != tc.want {
			t.Errorf("clientOf(%q) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

// onlyReader hides a reader's length, so the request streams its body
// without a Content-Length.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// Past its budget a client's uploads get 429 upload_quota with a
// Retry-After and store nothing, whether the body's length is declared
// or streamed, whole or by chunks. A failed upload costs nothing, and
// other clients are not affected.
func TestBlobUploadClientQuota(t *testing.T) {
	tn := startNode(t)
	store := tn.node.Blobs()
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	setQuota := func(perHour int64) { tn.srv.quota = quotaAt(perHour, clock) }
	// put sends from addr (empty: the test's own loopback connection).
	put := func(addr, url string, body io.Reader) (int, string, http.Header) {
		t.Helper()
		if addr != "" {
			req := httptest.NewRequest(http.MethodPut, url, body)
			req.RemoteAddr = addr
			rec := httptest.NewRecorder()
			tn.srv.srv.Handler.ServeHTTP(rec, req)
			return rec.Code, rec.Body.String(), rec.Header()
		}
		code, data, h := httpDoReader(t, http.MethodPut, tn.url+url, body)
		return code, string(data), h
	}
	refused := func(what string, code int, body string, h http.Header) {
		t.Helper()
		secs, err := strconv.Atoi(h.Get("Retry-After"))
		if code != http.StatusTooManyRequests || !strings.Contains(body, `"upload_quota"`) || err != nil || secs < 1 {
			t.Fatalf("%s: %d %s (Retry-After %q), want 429 upload_quota with a Retry-After", what, code, body, h.Get("Retry-After"))
		}
	}
	unchanged := func(what string, before int64) {
		t.Helper()
		if store.Used() != before {
			t.Fatalf("%s changed the store: %d bytes, had %d", what, store.Used(), before)
		}
	}
	const blobURL = "/blobs?chunk_size=4096"

	setQuota(3 * 4096)
	if code, body, _ := put("", blobURL, bytes.NewReader(blobData(20, 2*4096))); code != http.StatusOK {
		t.Fatalf("upload within the budget: %d %s", code, body)
	}
	before := store.Used()
	code, body, h := put("", blobURL, bytes.NewReader(blobData(21, 2*4096)))
	refused("declared length past the budget", code, body, h)
	if got := h.Get("Retry-After"); got != "1200" { // 4,096 bytes short at 12,288 an hour
		t.Fatalf("Retry-After %s, want 1200", got)
	}
	code, body, h = put("", blobURL, onlyReader{bytes.NewReader(blobData(22, 2*4096))})
	refused("stream past the budget", code, body, h)
	unchanged("refused uploads", before)
	// The refused stream was given back what it had read: the budget
	// still holds one chunk.
	if code, body, _ := put("", blobURL, onlyReader{bytes.NewReader(blobData(23, 4096))}); code != http.StatusOK {
		t.Fatalf("stream within what is left: %d %s", code, body)
	}
	// Another client has a budget of its own.
	if code, body, _ := put("192.0.2.7:5555", blobURL, bytes.NewReader(blobData(24, 3*4096))); code != http.StatusOK {
		t.Fatalf("another client: %d %s", code, body)
	}
	// More than an hour's worth in one request can never fit: it is too
	// large, not something to retry.
	code, body, _ = put("", blobURL, bytes.NewReader(blobData(25, 4*4096)))
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, "by chunks") {
		t.Fatalf("upload over an hour's worth: %d %s, want 413 naming chunked uploads", code, body)
	}

	// By chunks: the manifest and each chunk are charged, and a chunk the
	// store refuses costs nothing.
	data := blobData(26, 3*4096)
	split, _ := merkle.Split(bytes.NewReader(data), 4096, nil)
	manifest := (&blob.Manifest{Root: split.Root, Size: split.Size, ChunkSize: 4096, Leaves: split.Leaves}).Encode()
	base := fmt.Sprintf("/blobs/%x", split.Root)
	setQuota(int64(len(manifest)) + 2*4096 - 1) // the manifest, one chunk, and one byte short of a second
	if code, body, _ := put("", base+"/manifest", bytes.NewReader(manifest)); code != http.StatusOK {
		t.Fatalf("manifest within the budget: %d %s", code, body)
	}
	bad := append([]byte(nil), data[:4096]...)
	bad[0] ^= 1
	if code, body, _ := put("", base+"/chunks/0", bytes.NewReader(bad)); code != http.StatusBadRequest {
		t.Fatalf("tampered chunk: %d %s, want 400", code, body)
	}
	if code, body, _ := put("", base+"/chunks/0", onlyReader{bytes.NewReader(data[:4096])}); code != http.StatusOK {
		t.Fatalf("chunk within the budget: %d %s", code, body)
	}
	before = store.Used()
	code, body, h = put("", base+"/chunks/1", bytes.NewReader(data[4096:8192]))
	refused("declared chunk past the budget", code, body, h)
	code, body, h = put("", base+"/chunks/1", onlyReader{bytes.NewReader(data[4096:8192])})
	refused("streamed chunk past the budget", code, body, h)
	unchanged("refused chunks", before)
	// A chunk declared past the chunk limit is too large, whatever the budget.
	if code, body, _ := put("192.0.2.8:1", base+"/chunks/1", bytes.NewReader(make([]byte, maxChunkBody+1))); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized chunk: %d %s, want 413", code, body)
	}
	clock.t = clock.t.Add(time.Hour)
	if code, body, _ := put("", base+"/chunks/1", bytes.NewReader(data[4096:8192])); code != http.StatusOK {
		t.Fatalf("chunk after the budget refilled: %d %s", code, body)
	}
}
