package rpc

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// errUploadQuota is a client's upload past its share of the node's blob
// store, whatever stage found it.
var errUploadQuota = errors.New("upload quota used up")

// maxQuotaClients bounds the clients a quota remembers. Past it, clients
// whose budget has refilled are forgotten (they lose nothing), and a new
// client is refused only while every remembered one is still drawing.
const maxQuotaClients = 1 << 16

// clientQuota gives each client, by remote address, a budget of upload
// bytes that refills at a steady rate up to an hour's worth. The node-wide
// quota ([blobs] max_bytes) alone let one client fill the store for
// everyone; this bounds how fast any one client can. Behind a proxy every
// client shares the proxy's address, so such a node sets the rate to 0
// (off) and lets the proxy apply its own limit.
type clientQuota struct {
	rate  float64 // bytes a second; 0 is off
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	clients map[string]*budget
}

type budget struct {
	bytes float64 // available at `at`
	at    time.Time
}

func newClientQuota(perHour int64) *clientQuota {
	return &clientQuota{rate: float64(perHour) / 3600, burst: float64(perHour), now: time.Now, clients: map[string]*budget{}}
}

// take charges n bytes to client. When the budget is short it charges
// nothing and says how long until it would cover n (at most an hour:
// more than an hour's worth never fits).
func (q *clientQuota) take(client string, n int64) (bool, time.Duration) {
	if q == nil || q.rate <= 0 || n <= 0 {
		return true, 0
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	b := q.clients[client]
	if b == nil {
		if len(q.clients) >= maxQuotaClients && !q.forgetRefilled(now) {
			return false, time.Minute
		}
		b = &budget{bytes: q.burst, at: now}
		q.clients[client] = b
	}
	b.bytes = math.Min(q.burst, b.bytes+now.Sub(b.at).Seconds()*q.rate)
	b.at = now
	if float64(n) > b.bytes {
		secs := math.Min((float64(n)-b.bytes)/q.rate, time.Hour.Seconds())
		return false, time.Duration(secs * float64(time.Second))
	}
	b.bytes -= float64(n)
	return true, 0
}

// forgetRefilled drops the clients whose budget is whole again, and
// reports whether any went. Callers hold mu.
func (q *clientQuota) forgetRefilled(now time.Time) bool {
	before := len(q.clients)
	for c, b := range q.clients {
		if b.bytes+now.Sub(b.at).Seconds()*q.rate >= q.burst {
			delete(q.clients, c)
		}
	}
	return len(q.clients) < before
}

// clientOf is the client a request counts against: its remote address
// without the port.
func clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// chargeUpload charges n bytes of r's body to its client, or answers 429
// with when to retry and reports false.
func (s *Server) chargeUpload(w http.ResponseWriter, r *http.Request, n int64) bool {
	if s.quota != nil && s.quota.rate > 0 && float64(n) > s.quota.burst {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large",
			fmt.Sprintf("%d bytes is more than a client may upload in an hour ([api] client_upload_bytes_per_hour); upload the blob by chunks", n))
		return false
	}
	ok, wait := s.quota.take(clientOf(r), n)
	if !ok {
		refuseQuota(w, wait)
	}
	return ok
}

func refuseQuota(w http.ResponseWriter, wait time.Duration) {
	secs := max(1, int64(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	writeError(w, http.StatusTooManyRequests, "upload_quota",
		fmt.Sprintf("%v: this client's uploads refill over an hour ([api] client_upload_bytes_per_hour); retry in %d s", errUploadQuota, secs))
}

// quotaReader charges a streamed body of unknown length as it is read,
// and fails the read that would pass the client's budget.
type quotaReader struct {
	r      io.Reader
	q      *clientQuota
	client string
	wait   time.Duration // set by the refused read
}

func (qr *quotaReader) Read(p []byte) (int, error) {
	n, err := qr.r.Read(p)
	if n > 0 {
		if ok, wait := qr.q.take(qr.client, int64(n)); !ok {
			qr.wait = wait
			return 0, errUploadQuota
		}
	}
	return n, err
}
