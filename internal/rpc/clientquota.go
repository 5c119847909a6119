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

// errUploadQuota is a client's upload past its budget, whatever stage
// found it.
var errUploadQuota = errors.New("upload quota used up")

// maxQuotaClients bounds the clients a quota remembers. Past it the
// clients whose budget has refilled are forgotten (they lose nothing),
// and if none has, an arbitrary one: a new client is never refused for a
// full table, and only a sender with this many addresses could gain by it.
const maxQuotaClients = 1 << 16

// sweepEvery bounds how often a full table is scanned for refilled
// budgets; between scans a new client evicts an arbitrary entry.
const sweepEvery = time.Second

// clientQuota gives each client, by remote address, a budget of upload
// bytes that refills at a steady rate up to an hour's worth. The node-wide
// quota ([blobs] max_bytes) alone let one client fill the store for
// everyone; this bounds how fast any one client can. Bytes are charged as
// they are read and given back when the upload fails, so the budget
// counts what a client stored, and a request that sends nothing costs
// nothing. Behind a proxy every client shares the proxy's address, so
// such a node sets the rate to 0 (off) and lets the proxy limit clients.
type clientQuota struct {
	rate  float64 // bytes a second; 0 is off
	burst float64
	now   func() time.Time

	mu        sync.Mutex
	clients   map[string]*budget
	lastSweep time.Time
}

type budget struct {
	bytes float64 // available at `at`
	at    time.Time
}

func newClientQuota(perHour int64) *clientQuota {
	return &clientQuota{rate: float64(perHour) / 3600, burst: float64(perHour), now: time.Now, clients: map[string]*budget{}}
}

func (q *clientQuota) off() bool { return q == nil || q.rate <= 0 }

// availableLocked is what client may upload at now.
func (q *clientQuota) availableLocked(client string, now time.Time) float64 {
	b := q.clients[client]
	if b == nil {
		return q.burst
	}
	return math.Min(q.burst, b.bytes+now.Sub(b.at).Seconds()*q.rate)
}

// waitFor is how long until client's budget covers n bytes (at most an
// hour: the budget never holds more than an hour's worth).
func (q *clientQuota) waitFor(client string, n int64) time.Duration {
	if q.off() {
		return 0
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	short := float64(n) - q.availableLocked(client, q.now())
	if short <= 0 {
		return 0
	}
	return time.Duration(math.Min(short/q.rate, time.Hour.Seconds()) * float64(time.Second))
}

// take charges n bytes to client if its budget covers them, and reports
// whether it did.
func (q *clientQuota) take(client string, n int64) bool {
	if q.off() || n <= 0 {
		return true
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	now := q.now()
	avail := q.availableLocked(client, now)
	if float64(n) > avail {
		return false
	}
	b := q.clients[client]
	if b == nil {
		q.makeRoom(now)
		b = &budget{}
		q.clients[client] = b
	}
	b.bytes, b.at = avail-float64(n), now
	return true
}

// refund gives back n bytes charged to client.
func (q *clientQuota) refund(client string, n int64) {
	if q.off() || n <= 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if b := q.clients[client]; b != nil {
		now := q.now()
		b.bytes, b.at = math.Min(q.burst, q.availableLocked(client, now)+float64(n)), now
	}
}

// makeRoom keeps the table under maxQuotaClients before an insert.
// Callers hold mu.
func (q *clientQuota) makeRoom(now time.Time) {
	if len(q.clients) < maxQuotaClients {
		return
	}
	if now.Sub(q.lastSweep) >= sweepEvery {
		q.lastSweep = now
		for c := range q.clients {
			if q.availableLocked(c, now) >= q.burst {
				delete(q.clients, c)
			}
		}
	}
	for c := range q.clients {
		if len(q.clients) < maxQuotaClients {
			return
		}
		delete(q.clients, c)
	}
}

// clientOf is the client a request counts against: its remote IPv4
// address, or the /64 network of an IPv6 one (a single host often holds
// a whole /64).
func clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.To4() != nil {
		return host
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// upload is one request's charge against its client's budget.
type upload struct {
	q        *clientQuota
	client   string
	charged  int64 // taken from the budget so far
	declared int64 // the body's declared length, 0 if unknown
	need     int64 // set by the read that was past the budget: what the request needs at least
}

// startUpload checks a declared body length against limit and the
// client's budget before anything is read: it answers 413 when the length
// is over limit or more than an hour's worth, 429 when the budget does
// not cover it yet, and reports false. Nothing is charged until the body is read.
func (s *Server) startUpload(w http.ResponseWriter, r *http.Request, limit int64) (*upload, bool) {
	if r.ContentLength > limit {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("%d bytes: this upload is at most %d", r.ContentLength, limit))
		return nil, false
	}
	u := &upload{q: s.quota, client: clientOf(r), declared: max(0, r.ContentLength)}
	if u.q.off() || r.ContentLength <= 0 {
		return u, true
	}
	if float64(r.ContentLength) > u.q.burst {
		refuseHourly(w, r.ContentLength)
		return nil, false
	}
	if wait := u.q.waitFor(u.client, r.ContentLength); wait > 0 {
		refuseQuota(w, wait)
		return nil, false
	}
	return u, true
}

// body wraps r so that each read is charged; the read that would pass
// the budget fails with errUploadQuota.
func (u *upload) body(r io.Reader) io.Reader { return &quotaReader{r: r, u: u} }

// giveBack returns what the request was charged: it stored nothing.
func (u *upload) giveBack() {
	u.q.refund(u.client, u.charged)
	u.charged = 0
}

// fail gives back the charge of a request whose body could not be read,
// and answers a refusal for the budget if that was why: 413 if the
// request needed more than an hour's worth, else 429 with the wait until
// it would fit. It reports whether it answered.
func (u *upload) fail(w http.ResponseWriter) bool {
	u.giveBack()
	if u.need == 0 {
		return false
	}
	if float64(u.need) > u.q.burst {
		refuseHourly(w, u.need)
	} else {
		refuseQuota(w, max(time.Second, u.q.waitFor(u.client, u.need)))
	}
	return true
}

type quotaReader struct {
	r io.Reader
	u *upload
}

func (qr *quotaReader) Read(p []byte) (int, error) {
	n, err := qr.r.Read(p)
	if n > 0 {
		if !qr.u.q.take(qr.u.client, int64(n)) {
			qr.u.need = max(qr.u.charged+int64(n), qr.u.declared)
			return 0, errUploadQuota
		}
		qr.u.charged += int64(n)
	}
	return n, err
}

func refuseQuota(w http.ResponseWriter, wait time.Duration) {
	secs := max(1, int64(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	writeError(w, http.StatusTooManyRequests, "upload_quota",
		fmt.Sprintf("%v: this client's upload budget refills over an hour ([api] client_upload_bytes_per_hour); retry in %d s", errUploadQuota, secs))
}

func refuseHourly(w http.ResponseWriter, n int64) {
	writeError(w, http.StatusRequestEntityTooLarge, "too_large",
		fmt.Sprintf("%d bytes is more than a client may upload in an hour ([api] client_upload_bytes_per_hour); upload the blob by chunks", n))
}
