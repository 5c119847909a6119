package rpc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
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
	// Uploads in progress, of transaction batches (POST /txs/batch) and,
	// separately, of blobs (PUT /blobs...), so neither starves the other.
	Uploads int
	// ClientUploadPerHour is how many blob upload bytes one client (an
	// IPv4 address or an IPv6 /64) may store an hour, in bursts of up to
	// an hour's worth; 0 sets no per-client limit.
	ClientUploadPerHour int64
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
	// For gates over uploads: the body must keep arriving (pace), within
	// an overall bound (most); see paced.
	pace, most time.Duration
}

func newGate(n int, what string) *gate {
	return &gate{slots: make(chan struct{}, n), wait: queueWait, what: what}
}

// newPacedGate is a gate over uploads of at most most each, whose bodies
// must keep arriving (paced).
func newPacedGate(n int, what string, most time.Duration) *gate {
	g := newGate(n, what)
	g.pace, g.most = uploadIdle, most
	return g
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
		if g.pace > 0 {
			r.Body = newPaced(w, r.Body, g.pace, g.most)
		}
		h(w, r)
	}
}

// uploadPace is the progress an upload holding a slot must keep up:
// another minProgress bytes within each uploadIdle. Without it a few
// connections trickling a byte every few seconds held every slot for
// the whole upload deadline, and every other client got 503 busy.
const minProgress = 64 << 10

var uploadIdle = 10 * time.Second // a variable for tests

// paced is a request body whose connection read deadline moves forward
// only as bytes arrive: idle after the last minProgress bytes, never past
// the request's overall bound.
type paced struct {
	io.ReadCloser
	rc        *http.ResponseController
	idle      time.Duration
	end       time.Time
	sinceMove int
}

func newPaced(w http.ResponseWriter, body io.ReadCloser, idle, most time.Duration) *paced {
	p := &paced{ReadCloser: body, rc: http.NewResponseController(w), idle: idle, end: time.Now().Add(most)}
	p.move()
	return p
}

func (p *paced) move() {
	d := time.Now().Add(p.idle)
	if d.After(p.end) {
		d = p.end
	}
	p.rc.SetReadDeadline(d)
}

func (p *paced) Read(b []byte) (int, error) {
	n, err := p.ReadCloser.Read(b)
	if p.sinceMove += n; p.sinceMove >= minProgress {
		p.sinceMove = 0
		p.move()
	}
	if err == io.EOF {
		// Whole: the handler may take a while yet (a blob's last write),
		// and a read deadline passing then would cancel its context.
		p.rc.SetReadDeadline(p.end)
	}
	return n, err
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
// goroutines and descriptors stay bounded. Idle keep-alive connections
// hold places too, so past three quarters of max it asks the server to
// stop keeping connections alive (which also closes the idle ones), and
// below half it lets it again.
type limitListener struct {
	net.Listener
	max      int64
	open     atomic.Int64
	pressure func(on bool) // may be nil
	pressed  atomic.Bool
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		n := l.open.Add(1)
		if n > l.max {
			l.open.Add(-1)
			go refuse(c, l.max)
			continue
		}
		if n > l.max*3/4 && l.pressure != nil && l.pressed.CompareAndSwap(false, true) {
			l.pressure(true)
		}
		return &countedConn{Conn: c, l: l}, nil
	}
}

func (l *limitListener) closed() {
	if n := l.open.Add(-1); n < l.max/2 && l.pressure != nil && l.pressed.CompareAndSwap(true, false) {
		l.pressure(false)
	}
}

// refuseLinger bounds how long a refused connection is read before it is
// closed, and how much of it.
const (
	refuseLinger = 500 * time.Millisecond
	refuseDrain  = 1 << 20
)

// refuse answers 503 and closes the connection. It reads the request
// head first: an answer that arrives before the request was sent is one
// that an HTTP client (Go's among them) discards as unsolicited. Then it
// closes its side for writing and reads what the client still sends,
// briefly, since closing a socket with unread bytes makes the kernel reset
// it, and the client would see "connection reset" instead of the answer.
func refuse(c net.Conn, max int64) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(refuseLinger))
	r := bufio.NewReader(io.LimitReader(c, refuseDrain))
	for {
		line, err := r.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return // gone, or too slow
		}
		if len(bytes.TrimRight(line, "\r\n")) == 0 && err == nil {
			break // the blank line that ends the head
		}
	}
	body := `{"error":{"code":"too_many_connections","message":"the node serves at most ` +
		strconv.FormatInt(max, 10) + ` API connections at once; retry later"}}` + "\n"
	if _, err := c.Write([]byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\n\r\n" + body)); err != nil {
		return
	}
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	io.Copy(io.Discard, r)
}

type countedConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(c.l.closed)
	return c.Conn.Close()
}

// queryIs reports whether a request's query sets key to value.
func queryIs(key, value string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.URL.Query().Get(key) == value }
}

func hasQuery(key string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.URL.Query().Has(key) }
}
