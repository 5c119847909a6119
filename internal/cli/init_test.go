package cli_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lazchain/lazchain/internal/config"
)

// home is one loaded node home.
type home struct {
	cfg     config.Config
	genesis *config.Genesis
	raw     []byte // genesis.json as written
	nodeID  string // hex of the node key's public key
	blsPub  string // hex of the BLS key's public key
}

// loadHome loads every file of a home the way start does.
func loadHome(t *testing.T, dir string) home {
	t.Helper()
	for _, f := range []string{config.ConfigFile, config.GenesisFile, config.NodeKeyFile, config.BLSKeyFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	cfg, err := config.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	gpath := filepath.Join(dir, config.GenesisFile)
	g, err := config.LoadGenesis(gpath)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(gpath)
	if err != nil {
		t.Fatal(err)
	}
	nk, err := config.LoadNodeKey(filepath.Join(dir, config.NodeKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	bk, err := config.LoadBLSKey(filepath.Join(dir, config.BLSKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	return home{cfg: cfg, genesis: g, raw: raw,
		nodeID: hex.EncodeToString(nk.Public().(ed25519.PublicKey)),
		blsPub: hex.EncodeToString(bk.PublicKey().Bytes())}
}

func TestInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "n0")
	out := mustRun(t, "init", "--home", dir, "--chain-id", "my-chain", "--moniker", "alice", "--stake", "4200")
	h := loadHome(t, dir)
	if len(h.genesis.Validators) != 1 {
		t.Fatalf("genesis has %d validators", len(h.genesis.Validators))
	}
	v := h.genesis.Validators[0]
	if v.NodeID != h.nodeID {
		t.Fatalf("genesis node_id %s, node key is %s", v.NodeID, h.nodeID)
	}
	if v.BLSKey != h.blsPub || v.Stake != 4200 || v.Name != "alice" {
		t.Fatalf("genesis validator %+v; bls key file holds %s", v, h.blsPub)
	}
	if h.genesis.ChainID != "my-chain" || h.genesis.Consensus != config.DefaultConsensus() {
		t.Fatalf("genesis %+v", h.genesis)
	}
	if h.cfg.Moniker != "alice" || len(h.cfg.P2P.Peers) != 0 {
		t.Fatalf("config %+v", h.cfg)
	}
	for _, want := range []string{"initialised " + dir, "chain id: my-chain", "node id:  " + h.nodeID, "lazchain start --home " + dir} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestInitDefaults(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "init", "--home", dir)
	h := loadHome(t, dir)
	if h.genesis.ChainID != "lazchain-local" || h.genesis.Validators[0].Stake != 1_000_000 || h.cfg.Moniker != "node0" {
		t.Fatalf("defaults: chain %q stake %d moniker %q", h.genesis.ChainID, h.genesis.Validators[0].Stake, h.cfg.Moniker)
	}
	if h.cfg.P2P.Listen != config.Default().P2P.Listen || h.cfg.API.Listen != config.Default().API.Listen {
		t.Fatalf("listens %s %s", h.cfg.P2P.Listen, h.cfg.API.Listen)
	}
}

func TestInitRefusesExistingHome(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "init", "--home", dir)
	before, err := os.ReadFile(filepath.Join(dir, config.NodeKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	_, err = run(t, "init", "--home", dir)
	if err == nil || !strings.Contains(err.Error(), "already holds a node") {
		t.Fatalf("second init: %v", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, config.NodeKeyFile))
	if !bytes.Equal(before, after) {
		t.Fatal("refused init still replaced the node key")
	}
	loadHome(t, dir)
}

func TestInitRequiresHome(t *testing.T) {
	if _, err := run(t, "init"); err == nil || !strings.Contains(err.Error(), "home") {
		t.Fatalf("init without --home: %v", err)
	}
}

// A bad flag must fail before anything is written, so the same directory
// can be used again with corrected flags.
func TestInitRejectsInvalidGenesis(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"zero stake", []string{"--stake", "0"}, "zero stake"},
		// Accepted here, it was refused only by start.
		{"stake below min_stake", []string{"--stake", "1"}, "below min_stake"},
		{"long moniker", []string{"--moniker", strings.Repeat("m", 300)}, "name"},
		{"empty chain id", []string{"--chain-id", ""}, "chain_id"},
		{"long chain id", []string{"--chain-id", strings.Repeat("c", 65)}, "chain_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := run(t, append([]string{"init", "--home", dir}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("failed init left %d files in %s", len(entries), dir)
			}
			mustRun(t, "init", "--home", dir)
			loadHome(t, dir)
		})
	}
}

func TestTestnetLoopback(t *testing.T) {
	out := t.TempDir()
	stdout := mustRun(t, "testnet", "--validators", "4", "--output", out, "--base-port", "30000", "--timeout-ms", "250")
	homes := make([]home, 4)
	for i := range homes {
		dir := filepath.Join(out, fmt.Sprintf("node%d", i))
		if !strings.Contains(stdout, fmt.Sprintf("node%d: %s", i, dir)) {
			t.Errorf("output does not list node%d:\n%s", i, stdout)
		}
		homes[i] = loadHome(t, dir)
	}
	g := homes[0].genesis
	if len(g.Validators) != 4 || g.ChainID != "lazchain-testnet" || g.Consensus.BaseTimeoutMs != 250 || g.Consensus.MaxTimeoutMs != 2000 {
		t.Fatalf("genesis %+v", g)
	}
	ports := map[string]int{}
	for i, h := range homes {
		if !bytes.Equal(h.raw, homes[0].raw) {
			t.Errorf("node%d's genesis.json differs from node0's", i)
		}
		v := g.Validators[i]
		if v.NodeID != h.nodeID || v.BLSKey != h.blsPub || v.Name != fmt.Sprintf("node%d", i) || v.Stake != 1_000_000 {
			t.Errorf("validator %d %+v does not match node%d's keys", i, v, i)
		}
		if h.cfg.Moniker != v.Name {
			t.Errorf("node%d moniker %q", i, h.cfg.Moniker)
		}
		wantP2P, wantAPI := fmt.Sprintf("127.0.0.1:%d", 30000+2*i), fmt.Sprintf("127.0.0.1:%d", 30001+2*i)
		if h.cfg.P2P.Listen != wantP2P || h.cfg.API.Listen != wantAPI {
			t.Errorf("node%d listens on %s and %s, want %s and %s", i, h.cfg.P2P.Listen, h.cfg.API.Listen, wantP2P, wantAPI)
		}
		for _, l := range []string{h.cfg.P2P.Listen, h.cfg.API.Listen} {
			if j, dup := ports[l]; dup {
				t.Errorf("node%d and node%d both listen on %s", j, i, l)
			}
			ports[l] = i
		}
	}
	for i, h := range homes {
		peers, err := h.cfg.PeerAddrs()
		if err != nil {
			t.Fatal(err)
		}
		if len(peers) != 3 {
			t.Fatalf("node%d has %d peers: %v", i, len(peers), h.cfg.P2P.Peers)
		}
		seen := map[int]bool{}
		for _, p := range peers {
			j := indexOfNode(homes, p.ID.String())
			if j < 0 || j == i || seen[j] {
				t.Fatalf("node%d peer %s@%s is not another node (index %d)", i, p.ID, p.Addr, j)
			}
			seen[j] = true
			if p.Addr != homes[j].cfg.P2P.Listen {
				t.Errorf("node%d dials node%d at %s, but it listens on %s", i, j, p.Addr, homes[j].cfg.P2P.Listen)
			}
		}
	}
}

func indexOfNode(homes []home, id string) int {
	for i, h := range homes {
		if h.nodeID == id {
			return i
		}
	}
	return -1
}

func TestTestnetHostnames(t *testing.T) {
	out := t.TempDir()
	names := []string{"a", "b", "c", "d"}
	mustRun(t, "testnet", "--validators", "4", "--output", out, "--hostnames", strings.Join(names, ","))
	homes := make([]home, 4)
	for i := range homes {
		homes[i] = loadHome(t, filepath.Join(out, fmt.Sprintf("node%d", i)))
	}
	for i, h := range homes {
		if h.cfg.P2P.Listen != "0.0.0.0:26656" || h.cfg.API.Listen != "0.0.0.0:26657" {
			t.Errorf("node%d listens on %s and %s", i, h.cfg.P2P.Listen, h.cfg.API.Listen)
		}
		var want []string
		for j, o := range homes {
			if j != i {
				want = append(want, o.nodeID+"@"+names[j]+":26656")
			}
		}
		if strings.Join(h.cfg.P2P.Peers, " ") != strings.Join(want, " ") {
			t.Errorf("node%d peers %v, want %v", i, h.cfg.P2P.Peers, want)
		}
		if !bytes.Equal(h.raw, homes[0].raw) {
			t.Errorf("node%d's genesis differs", i)
		}
	}
}

func TestTestnetRejects(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"too few hostnames", []string{"--validators", "4", "--hostnames", "a,b"}, "--hostnames has 2 names for 4 validators"},
		{"too many hostnames", []string{"--validators", "2", "--hostnames", "a,b,c"}, "--hostnames has 3 names for 2 validators"},
		{"zero validators", []string{"--validators", "0"}, "--validators 0: want 1 to 100"},
		{"too many validators", []string{"--validators", "101"}, "--validators 101: want 1 to 100"},
		{"zero timeout", []string{"--timeout-ms", "0"}, "base_timeout_ms"},
		{"empty chain id", []string{"--chain-id", ""}, "chain_id"},
		{"stakes below min_stake", []string{"--validators", "2", "--stakes", "5,5"}, "below min_stake"},
		{"ports past 65535", []string{"--validators", "2", "--base-port", "65534"}, "--base-port 65534"},
		{"negative port", []string{"--base-port", "-5"}, "--base-port -5"},
		{"epoch length overflowing unbonding", []string{"--epoch-length", "9223372036854775808"}, "--epoch-length"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			_, err := run(t, append([]string{"testnet", "--output", out}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(out, "node0", config.NodeKeyFile)); err == nil {
				t.Fatal("rejected testnet still wrote node0's keys")
			}
		})
	}
	if _, err := run(t, "testnet"); err == nil || !strings.Contains(err.Error(), "output") {
		t.Fatalf("testnet without --output: %v", err)
	}
}

func TestTestnetRefusesExistingOutput(t *testing.T) {
	out := t.TempDir()
	mustRun(t, "testnet", "--validators", "2", "--output", out)
	if _, err := run(t, "testnet", "--validators", "2", "--output", out); err == nil || !strings.Contains(err.Error(), "already holds a node") {
		t.Fatalf("second testnet: %v", err)
	}
}
