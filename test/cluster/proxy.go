package cluster

import (
	"io"
	"net"
	"sync"
	"time"
)

// proxy forwards one directed p2p link (from node A to node B's listener)
// and can cut it: a cut closes live connections and refuses new ones, the
// way a firewall rule would, until healed. It can also delay every byte
// by a fixed time each way, as a long link would.
type proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	delay time.Duration // for connections made from now on
	conns map[net.Conn]bool
}

func newProxy(target string) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	go p.serve()
	return p, nil
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

func (p *proxy) forward(c net.Conn) {
	p.mu.Lock()
	if p.cut {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.mu.Unlock()
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.cut {
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = true, true
	delay := p.delay
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { copyDelayed(up, c, delay); done <- struct{}{} }()
	go func() { copyDelayed(c, up, delay); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, up)
	p.mu.Unlock()
}

func (p *proxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
	}
}

func (p *proxy) setDelay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

// copyDelayed copies src to dst, each chunk d after it was read. Chunks
// keep their order; a full queue (a slow reader) holds the reads back.
func copyDelayed(dst io.Writer, src io.Reader, d time.Duration) {
	if d <= 0 {
		io.Copy(dst, src)
		return
	}
	type chunk struct {
		due  time.Time
		data []byte
	}
	q := make(chan chunk, 1024)
	go func() {
		defer close(q)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				q <- chunk{time.Now().Add(d), buf[:n]}
			}
			if err != nil {
				return
			}
		}
	}()
	for ch := range q {
		time.Sleep(time.Until(ch.due))
		if _, err := dst.Write(ch.data); err != nil {
			for range q {
			}
			return
		}
	}
}

func (p *proxy) close() {
	p.setCut(true)
	p.ln.Close()
}
