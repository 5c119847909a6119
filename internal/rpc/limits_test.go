package rpc

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// holdServer serves /hold (blocks until release is closed) and / (answers
// at once) behind a limitListener of max connections.
func holdServer(t *testing.T, max int64) (addr string, release chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	release = make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/hold", func(w http.ResponseWriter, r *http.Request) { <-release })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	srv := &http.Server{Handler: mux}
	go srv.Serve(&limitListener{Listener: ln, max: max})
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), release
}

// rawGet sends one request on a fresh connection and returns it, open.
func rawGet(t *testing.T, addr, path string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	return c
}

func readResp(t *testing.T, c net.Conn) (*http.Response, string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func TestLimitListenerRefusesPastMax(t *testing.T) {
	addr, release := holdServer(t, 2)
	held := []net.Conn{rawGet(t, addr, "/hold"), rawGet(t, addr, "/hold")}
	// Both held requests must be inside the server before the third
	// connects; a request on a held connection proves the count.
	deadline := time.Now().Add(10 * time.Second)
	var resp *http.Response
	var body string
	probe := func() (*http.Response, string) {
		c := rawGet(t, addr, "/")
		defer c.Close() // a served probe must not keep a place
		return readResp(t, c)
	}
	for {
		resp, body = probe()
		if resp.StatusCode == http.StatusServiceUnavailable || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond) // a held connection not accepted yet
	}
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, `"too_many_connections"`) ||
		resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("third connection: %d %q (Retry-After %q), want 503 too_many_connections", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	// A client that sends a body the server never reads still gets the
	// answer, not a reset connection.
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	for i := range 10 {
		resp, err := hc.Post("http://"+addr+"/", "application/octet-stream", strings.NewReader(strings.Repeat("x", 256<<10)))
		if err != nil {
			t.Fatalf("POST %d while full: %v, want the 503", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable {
			t.Fatalf("POST %d while full: %d", i, resp.StatusCode)
		}
	}
	close(release)
	for _, c := range held {
		readResp(t, c)
		c.Close()
	}
	// Closed connections free their places.
	for {
		resp, body = probe()
		if resp.StatusCode == http.StatusOK || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if resp.StatusCode != http.StatusOK || body != "ok" {
		t.Fatalf("after the held connections closed: %d %q, want 200 ok", resp.StatusCode, body)
	}
}

func TestLimitListenerPressure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	calls := make(chan bool, 4)
	l := &limitListener{Listener: ln, max: 4, pressure: func(on bool) { calls <- on }}
	var conns []net.Conn
	for i := range 4 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		sc, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, sc)
		if i == 2 { // the fourth is past three quarters
			select {
			case on := <-calls:
				t.Fatalf("pressure(%v) at %d connections", on, i+1)
			default:
			}
		}
	}
	if on := <-calls; !on {
		t.Fatal("no pressure at 4 of 4 connections")
	}
	for i, c := range conns {
		c.Close()
		c.Close() // a second close must not count twice
		if i < 2 {
			select {
			case on := <-calls:
				t.Fatalf("pressure(%v) with %d open", on, 3-i)
			default:
			}
		}
	}
	if on := <-calls; on {
		t.Fatal("pressure stayed on after the connections closed")
	}
	if l.open.Load() != 0 {
		t.Fatalf("%d counted open after all closed", l.open.Load())
	}
}

// Every route that holds memory or waits is gated, and no other.
func TestServerGatesRoutes(t *testing.T) {
	tn := startNode(t)
	g := tn.srv.gates
	for _, gt := range []*gate{g.batches, g.blobs, g.waiting} {
		gt.wait = 10 * time.Millisecond
		for range cap(gt.slots) {
			gt.acquire(context.Background())
		}
	}
	root := strings.Repeat("ab", 32)
	tests := []struct {
		method, path string
		busy         bool
	}{
		{"POST", "/txs/batch", true},
		{"PUT", "/blobs", true},
		{"PUT", "/blobs/" + root + "/manifest", true},
		{"PUT", "/blobs/" + root + "/chunks/0", true},
		{"POST", "/txs?wait=true", true},
		{"GET", "/blocks/99?wait=1s", true},
		{"POST", "/txs", false},
		{"GET", "/blocks/99", false},
		{"GET", "/status", false},
		{"GET", "/blobs/" + root, false},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			code, body, _ := httpDo(t, tc.method, tn.url+tc.path, []byte("{}"))
			if busy := code == http.StatusServiceUnavailable && strings.Contains(string(body), `"busy"`); busy != tc.busy {
				t.Fatalf("%d %s; gated %v, want %v", code, body, busy, tc.busy)
			}
		})
	}
}

func TestGate(t *testing.T) {
	g := newGate(1, "uploads")
	g.wait = 50 * time.Millisecond
	var calls atomic.Int32
	inside, release := make(chan struct{}), make(chan struct{})
	h := g.wrapIf(hasQuery("wait"), func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			close(inside)
			<-release
		}
		io.WriteString(w, "done")
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	first := make(chan int, 1)
	go func() {
		resp, err := http.Get(srv.URL + "/?wait=1")
		if err != nil {
			first <- 0
			return
		}
		resp.Body.Close()
		first <- resp.StatusCode
	}()
	<-inside
	tests := []struct {
		name      string
		path      string
		status    int
		wantCalls int32
	}{
		{"a second waiting request is refused", "/?wait=1", http.StatusServiceUnavailable, 1},
		{"a request that does not wait needs no slot", "/", http.StatusOK, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || calls.Load() != tc.wantCalls {
				t.Fatalf("%d %q with %d calls, want %d with %d", resp.StatusCode, body, calls.Load(), tc.status, tc.wantCalls)
			}
			if tc.status == http.StatusServiceUnavailable &&
				(!strings.Contains(string(body), `"busy"`) || !strings.Contains(string(body), "1 uploads") || resp.Header.Get("Retry-After") != "1") {
				t.Fatalf("refusal %q (Retry-After %q), want busy naming the limit", body, resp.Header.Get("Retry-After"))
			}
		})
	}
	close(release)
	if s := <-first; s != http.StatusOK {
		t.Fatalf("held request: %d", s)
	}
	resp, err := http.Get(srv.URL + "/?wait=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after release: %d, want the slot free again", resp.StatusCode)
	}
}

func TestGateWaitsForASlot(t *testing.T) {
	g := newGate(1, "uploads")
	if !g.acquire(context.Background()) {
		t.Fatal("empty gate refused")
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		g.release()
	}()
	if !g.acquire(context.Background()) {
		t.Fatal("a slot freed within the wait was not taken")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if g.acquire(ctx) {
		t.Fatal("a full gate admitted a request whose client had gone")
	}
}

func TestClientRetriesBusy(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		code       string
		retryAfter string
		busyFirst  int32
		wantErr    bool
		wantTries  int32
	}{
		{"busy twice then served", http.StatusServiceUnavailable, "busy", "0", 2, false, 3},
		{"busy every time", http.StatusServiceUnavailable, "busy", "0", 100, true, busyRetries + 1},
		// An upload past the client's budget stored nothing: a short wait
		// is ridden out, a long one is the caller's to decide.
		{"upload budget refills soon", http.StatusTooManyRequests, "upload_quota", "0", 1, false, 2},
		{"upload budget refills late", http.StatusTooManyRequests, "upload_quota", "600", 100, true, 1},
	}
	// Another 503 (here a proxy's, with no API error code) is not a
	// refusal of an unread request, and is not repeated.
	t.Run("other 503", func(t *testing.T) {
		var tries atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tries.Add(1)
			w.Header().Set("Retry-After", "0")
			http.Error(w, "upstream down", http.StatusServiceUnavailable)
		}))
		defer srv.Close()
		if err := NewClient(srv.URL).do(context.Background(), http.MethodPost, "/x", "", nil, nil); err == nil || tries.Load() != 1 {
			t.Fatalf("err %v after %d tries, want an error after one", err, tries.Load())
		}
	})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tries atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if string(body) != `{"x":1}` {
					t.Errorf("try %d sent body %q", tries.Load()+1, body)
				}
				if tries.Add(1) <= tc.busyFirst {
					w.Header().Set("Retry-After", tc.retryAfter)
					writeError(w, tc.status, tc.code, "refused")
					return
				}
				writeJSON(w, http.StatusOK, map[string]int{"y": 2})
			}))
			defer srv.Close()
			var out map[string]int
			err := NewClient(srv.URL).do(context.Background(), http.MethodPost, "/x", "application/json", []byte(`{"x":1}`), &out)
			var apiErr *APIError
			switch {
			case tc.wantErr && (!errors.As(err, &apiErr) || apiErr.Code != tc.code):
				t.Fatalf("err %v, want %s", err, tc.code)
			case !tc.wantErr && (err != nil || out["y"] != 2):
				t.Fatalf("err %v, out %v", err, out)
			}
			if tries.Load() != tc.wantTries {
				t.Fatalf("%d tries, want %d", tries.Load(), tc.wantTries)
			}
		})
	}
}
