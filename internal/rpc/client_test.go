package rpc

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Concurrent requests reuse the connections of earlier rounds: with
// net/http's default of two idle connections per host, each round beyond
// the first dialled anew for all but two of its requests.
func TestClientReusesConnections(t *testing.T) {
	const inFlight, rounds = 8, 5
	var dials atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond) // keep the round's requests in flight together
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"chain_id":"c","height":1}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := NewClient(srv.URL)
	for range rounds {
		var wg sync.WaitGroup
		for range inFlight {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.Status(context.Background()); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	if n := dials.Load(); n > inFlight {
		t.Fatalf("%d connections for %d rounds of %d requests, want at most %d", n, rounds, inFlight, inFlight)
	}
}
