package rpc

import (
	"net/http"
	"sync"
)

// inflight counts the requests inside a handler, so the server can wait
// for them on shutdown. Once closed it turns new ones away (503): Wait
// must not race a request that was accepted just before the listener
// closed.
type inflight struct {
	mu     sync.Mutex
	n      int
	closed bool
	idle   chan struct{} // closed when n drops to 0 after close
}

func (f *inflight) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !f.enter() {
			writeError(w, http.StatusServiceUnavailable, "shutting_down", "the node is stopping")
			return
		}
		defer f.leave()
		h.ServeHTTP(w, r)
	})
}

func (f *inflight) enter() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false
	}
	f.n++
	return true
}

func (f *inflight) leave() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n--; f.n == 0 && f.closed {
		close(f.idle)
	}
}

// wait turns new requests away and returns once none is in a handler.
func (f *inflight) wait() {
	f.mu.Lock()
	f.closed = true
	f.idle = make(chan struct{})
	if f.n == 0 {
		close(f.idle)
	}
	idle := f.idle
	f.mu.Unlock()
	<-idle
}
