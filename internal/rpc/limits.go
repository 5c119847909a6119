package rpc

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lazchain/lazchain/internal/config"
)

// Limits bound what clients can hold at once. Each open connection costs a
// goroutine and buffers; a request that waits for a commit or a height
// holds one for up to waitTimeout; an upload holds up to maxBatchBody of
// memory (a transaction batch) or a disk stream (a blob). Without caps any
// client could exhaust the node's memory or file descriptors.
type Limits struct {
	// Connections open at once; past it a new one gets 503 and is closed.
	Connections int
	// Waiting requests (POST /txs?wait=true, GET /blocks/{h}?wait=...).
	Waiting int
	// Uploads in progress (POST /txs/batch, PUT /blobs...).
	Uploads int
}

// orDefault fills unset limits with a new node's defaults.
func (l Limits) orDefault() Limits {
	if l.Connections <= 0 {
		l.Connections = config.DefaultMaxConnections
	}
	if l.Waiting <= 0 {
		l.Waiting = config.DefaultMaxWaiting
	}
	if l.Uploads <= 0 {
		l.Uploads = config.DefaultMaxUploads
	}
	return l
}

// queueWait is how long a request waits for an upload or waiting slot
// before it is refused: long enough to ride out a burst, short enough
// that a client learns quickly that the node is saturated.
const queueWait = 2 * time.Second

// gate is a counting semaphore that refuses after wait.
type gate struct {
	slots chan struct{}
	wait  time.Duration
	what  string // what the slots are, for the refusal
}

func newGate(n int, what string) *gate {
	return &gate{slots: make(chan struct{}, n), wait: queueWait, what: what}
}

func (g *gate) acquire(ctx context.Context) bool {
	select {
	case g.slots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(g.wait)
	defer t.Stop()
	select {
	case g.slots <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func (g *gate) release() { <-g.slots }

// wrap runs h only while it holds a slot; past it the client gets 503
// busy and a hint to retry. The slot is taken before the body is read,
// so a refused upload costs no memory and changes nothing.
func (g *gate) wrap(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !g.acquire(r.Context()) {
			busy(w, fmt.Sprintf("%d %s at once already: the node is saturated; retry later", cap(g.slots), g.what))
			return
		}
		defer g.release()
		h(w, r)
	}
}

// wrapIf gates h only for requests that wait reports true for; the others
// answer at once and need no slot.
func (g *gate) wrapIf(wait func(*http.Request) bool, h http.HandlerFunc) http.HandlerFunc {
	gh := g.wrap(h)
	return func(w http.ResponseWriter, r *http.Request) {
		if wait(r) {
			gh(w, r)
			return
		}
		h(w, r)
	}
}

func busy(w http.ResponseWriter, msg string) {
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusServiceUnavailable, "busy", msg)
}

// limitListener counts open connections and answers those over max with
// a 503 instead of serving them: a client learns why, and the server's
// goroutines and descriptors stay bounded.
type limitListener struct {
	net.Listener
	max  int64
	open atomic.Int64
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) > l.max {
			l.open.Add(-1)
			go refuse(c, l.max)
			continue
		}
		return &countedConn{Conn: c, l: l}, nil
	}
}

// refuse writes a minimal 503 without reading the request: the client may
// not have sent it yet, and a refused connection must cost next to nothing.
func refuse(c net.Conn, max int64) {
	defer c.Close()
	body := `{"error":{"code":"too_many_connections","message":"the node serves at most ` +
		strconv.FormatInt(max, 10) + ` API connections at once; retry later"}}` + "\n"
	c.SetWriteDeadline(time.Now().Add(time.Second))
	c.Write([]byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body))
}

type countedConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}

func hasQuery(key string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.URL.Query().Has(key) }
}
