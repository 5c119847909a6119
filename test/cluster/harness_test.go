package cluster

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/rpc"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lazchain-cluster-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "lazchain")
	build := exec.Command("go", "build", "-o", binary, "../../cmd/lazchain")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build lazchain:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cluster is N lazchain processes whose p2p links all pass through
// proxies, one per directed pair, so the test can cut any node off.
type cluster struct {
	t       *testing.T
	homes   []string
	apis    []string
	procs   []*proc
	proxies map[[2]int]*proxy
}

type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
}

// freePort returns a loopback port that is free now, drawn below the
// kernel's ephemeral range (32768 and up on Linux): a port picked there can
// be taken by any outgoing connection of a parallel test before the node
// binds it, and the node then dies with "address already in use". A port
// is handed out once per test binary: a port free now is still free when
// drawn again before its node binds it, and two nodes of one cluster once
// got the same one.
var (
	portsMu    sync.Mutex
	portsGiven = map[int]bool{}
)

func freePort(t *testing.T) string {
	t.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	for try := 0; try < 1000; try++ {
		port := 20000 + rand.IntN(12000)
		if portsGiven[port] {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		addr := ln.Addr().String()
		ln.Close()
		portsGiven[port] = true
		return addr
	}
	t.Fatal("no free loopback port below the ephemeral range")
	return ""
}

func newCluster(t *testing.T, n int, testnetArgs ...string) *cluster {
	t.Helper()
	dir := t.TempDir()
	args := append([]string{"testnet", "--validators", fmt.Sprint(n), "--output", dir, "--timeout-ms", "500", "--chain-id", "cluster-test", "--accounts", "4"}, testnetArgs...)
	out, err := exec.Command(binary, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("testnet: %v\n%s", err, out)
	}
	c := &cluster{t: t, proxies: map[[2]int]*proxy{}}
	cfgs := make([]config.Config, n)
	for i := 0; i < n; i++ {
		home := filepath.Join(dir, fmt.Sprintf("node%d", i))
		cfg, err := config.Load(home)
		if err != nil {
			t.Fatal(err)
		}
		cfg.P2P.Listen, cfg.API.Listen = freePort(t), freePort(t)
		cfgs[i] = cfg
		c.homes = append(c.homes, home)
		c.apis = append(c.apis, "http://"+cfg.API.Listen)
	}
	g, err := config.LoadGenesis(filepath.Join(c.homes[0], config.GenesisFile))
	if err != nil {
		t.Fatal(err)
	}
	for i := range cfgs {
		cfgs[i].P2P.Peers = nil
		for j := range cfgs {
			if i == j {
				continue
			}
			p, err := newProxy(cfgs[j].P2P.Listen)
			if err != nil {
				t.Fatal(err)
			}
			c.proxies[[2]int{i, j}] = p
			cfgs[i].P2P.Peers = append(cfgs[i].P2P.Peers, g.Validators[j].NodeID+"@"+p.addr())
		}
		if err := cfgs[i].Save(c.homes[i]); err != nil {
			t.Fatal(err)
		}
	}
	c.procs = make([]*proc, n)
	t.Cleanup(c.stop)
	return c
}

func (c *cluster) start(i int) {
	c.t.Helper()
	logf, err := os.OpenFile(filepath.Join(c.homes[i], "node.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(binary, "start", "--home", c.homes[i])
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	pr := &proc{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); logf.Close(); close(pr.done) }()
	c.procs[i] = pr
}

// kill9 sends SIGKILL: no chance to flush or clean up.
func (c *cluster) kill9(i int) {
	if p := c.procs[i]; p != nil {
		p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
	}
	c.procs[i] = nil
}

// partition cuts (or heals) every link into and out of node i.
func (c *cluster) partition(i int, cut bool) {
	for pair, p := range c.proxies {
		if pair[0] == i || pair[1] == i {
			p.setCut(cut)
		}
	}
}

func (c *cluster) stop() {
	for i, p := range c.procs {
		if p != nil {
			p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(10 * time.Second):
				p.cmd.Process.Kill()
				<-p.done
			}
		}
		c.procs[i] = nil
	}
	for _, p := range c.proxies {
		p.close()
	}
	if c.t.Failed() {
		for _, h := range c.homes {
			b, _ := os.ReadFile(filepath.Join(h, "node.log"))
			lines := strings.Split(string(b), "\n")
			c.t.Logf("--- %s (last lines)\n%s", h, strings.Join(lines[max(0, len(lines)-15):], "\n"))
		}
	}
}

func (c *cluster) client(i int) *rpc.Client { return rpc.NewClient(c.apis[i]) }

// height returns node i's committed height, or 0 if it does not answer.
func (c *cluster) height(i int) uint64 {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := c.client(i).Status(ctx)
	if err != nil {
		return 0
	}
	return st.Height
}

// waitHeight waits until every listed node reaches h.
func (c *cluster) waitHeight(h uint64, limit time.Duration, nodes ...int) {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	for _, i := range nodes {
		for c.height(i) < h {
			if time.Now().After(deadline) {
				c.t.Fatalf("node %d at height %d, want %d within %s", i, c.height(i), h, limit)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// addFullNode creates a non-validator home that has only the genesis and
// the validators' addresses, and returns its index.
func (c *cluster) addFullNode() int {
	c.t.Helper()
	i := c.addNode("full")
	os.Remove(filepath.Join(c.homes[i], config.BLSKeyFile)) // not a validator
	return i
}

// addNode creates a home with its own keys, the network's genesis and the
// validators' addresses: a full node that can become a validator by
// create-validator. It returns the node's index.
func (c *cluster) addNode(name string) int {
	c.t.Helper()
	home := filepath.Join(filepath.Dir(c.homes[0]), name)
	if out, err := exec.Command(binary, "init", "--home", home, "--chain-id", "unused").CombinedOutput(); err != nil {
		c.t.Fatalf("init %s: %v\n%s", name, err, out)
	}
	g, err := os.ReadFile(filepath.Join(c.homes[0], config.GenesisFile))
	if err != nil {
		c.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, config.GenesisFile), g, 0o644); err != nil {
		c.t.Fatal(err)
	}
	cfg, err := config.Load(home)
	if err != nil {
		c.t.Fatal(err)
	}
	gen, _ := config.LoadGenesis(filepath.Join(home, config.GenesisFile))
	cfg.P2P.Listen, cfg.API.Listen = freePort(c.t), freePort(c.t)
	cfg.P2P.Peers = nil
	for i, h := range c.homes {
		vc, err := config.Load(h)
		if err != nil {
			c.t.Fatal(err)
		}
		cfg.P2P.Peers = append(cfg.P2P.Peers, gen.Validators[i].NodeID+"@"+vc.P2P.Listen)
	}
	if err := cfg.Save(home); err != nil {
		c.t.Fatal(err)
	}
	c.homes = append(c.homes, home)
	c.apis = append(c.apis, "http://"+cfg.API.Listen)
	c.procs = append(c.procs, nil)
	return len(c.homes) - 1
}
