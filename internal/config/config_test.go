package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lazchain/lazchain/internal/config"
)

// peerID is a well-formed node id (32 bytes of hex).
var peerID = strings.Repeat("ab", 32)

// validTOML is a complete config.toml that passes validation; tests replace
// one line of it at a time.
const validTOML = `moniker = "node7"

[p2p]
listen = "0.0.0.0:26656"
peers = ["PEER@10.0.0.2:26656", "PEER@node3:26656"]
open = false

[api]
listen = "127.0.0.1:26657"
pprof = true

[log]
level = "debug"
format = "json"

[mempool]
max_txs = 5000
max_bytes = 1048576
`

func validText() string { return strings.ReplaceAll(validTOML, "PEER", peerID) }

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, config.ConfigFile), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return home
}

func TestLoadValid(t *testing.T) {
	cfg, err := config.Load(writeConfig(t, validText()))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Moniker != "node7" || cfg.P2P.Listen != "0.0.0.0:26656" || cfg.P2P.Open ||
		cfg.API.Listen != "127.0.0.1:26657" || !cfg.API.Pprof || cfg.Log.Level != "debug" ||
		cfg.Log.Format != "json" || cfg.Mempool.MaxTxs != 5000 || cfg.Mempool.MaxBytes != 1<<20 {
		t.Fatalf("loaded %+v", cfg)
	}
	peers, err := cfg.PeerAddrs()
	if err != nil {
		t.Fatal(err)
	}
	if len(peers) != 2 || peers[0].Addr != "10.0.0.2:26656" || peers[1].Addr != "node3:26656" {
		t.Fatalf("peers %+v", peers)
	}
	for _, p := range peers {
		if p.ID.String() != peerID {
			t.Fatalf("peer id %s, want %s", p.ID, peerID)
		}
	}
}

func TestLoadKeepsDefaultsForOmittedSettings(t *testing.T) {
	cfg, err := config.Load(writeConfig(t, "moniker = \"x\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Default()
	want.Moniker = "x"
	if cfg.P2P.Listen != want.P2P.Listen || cfg.API != want.API || cfg.Log != want.Log || cfg.Blobs != want.Blobs ||
		cfg.Mempool != want.Mempool || cfg.P2P.Open != want.P2P.Open || len(cfg.P2P.Peers) != 0 {
		t.Fatalf("got %+v, want defaults %+v", cfg, want)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	home := t.TempDir()
	cfg := config.Default()
	cfg.Moniker = "round-trip"
	cfg.P2P.Peers = []string{peerID + "@127.0.0.1:30000"}
	cfg.Mempool.MaxTxs = 7
	if err := cfg.Save(home); err != nil {
		t.Fatal(err)
	}
	got, err := config.Load(home)
	if err != nil {
		t.Fatal(err)
	}
	if got.Moniker != cfg.Moniker || got.Mempool != cfg.Mempool || len(got.P2P.Peers) != 1 || got.P2P.Peers[0] != cfg.P2P.Peers[0] {
		t.Fatalf("round trip: got %+v, want %+v", got, cfg)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := config.Load(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), config.ConfigFile) {
		t.Fatalf("err = %v, want one naming %s", err, config.ConfigFile)
	}
}

func TestLoadRejects(t *testing.T) {
	// replace swaps one line of the valid file; every error must name the
	// offending setting (and the file).
	replace := func(old, new string) string {
		s := validText()
		if !strings.Contains(s, old) {
			panic("test bug: " + old + " not in config")
		}
		return strings.Replace(s, old, new, 1)
	}
	peers := func(entries string) string {
		return replace(`peers = ["`+peerID+`@10.0.0.2:26656", "`+peerID+`@node3:26656"]`, "peers = ["+entries+"]")
	}
	tests := []struct {
		name, text string
		want       []string
	}{
		{"typo top level", replace(`moniker =`, `monikr =`), []string{"unknown setting", `"monikr"`}},
		{"typo in table", replace(`listen = "0.0.0.0:26656"`, `listn = "0.0.0.0:26656"`), []string{"unknown setting", `"p2p.listn"`}},
		{"unknown table", validText() + "\n[mempol]\nmax_txs = 1\n", []string{"unknown setting", "mempol"}},
		{"p2p.listen no port", replace(`listen = "0.0.0.0:26656"`, `listen = "0.0.0.0"`), []string{"p2p.listen", `"0.0.0.0"`, "host:port"}},
		{"p2p.listen empty", replace(`listen = "0.0.0.0:26656"`, `listen = ""`), []string{"p2p.listen"}},
		{"api.listen no port", replace(`listen = "127.0.0.1:26657"`, `listen = "localhost"`), []string{"api.listen", `"localhost"`, "host:port"}},
		{"api.listen too many colons", replace(`listen = "127.0.0.1:26657"`, `listen = "1:2:3"`), []string{"api.listen"}},
		{"peer without @", peers(`"` + peerID + `:26656"`), []string{"p2p.peers entry", "node_id@host:port"}},
		{"peer id not hex", peers(`"zz` + peerID[2:] + `@10.0.0.2:26656"`), []string{"p2p.peers entry", "node id", "hex"}},
		{"peer id short", peers(`"abcd@10.0.0.2:26656"`), []string{"p2p.peers entry", "node id", "32 hex bytes"}},
		{"peer id empty", peers(`"@10.0.0.2:26656"`), []string{"p2p.peers entry", "node id"}},
		{"peer address no port", peers(`"` + peerID + `@10.0.0.2"`), []string{"p2p.peers entry", "address", "missing port"}},
		{"peer address empty", peers(`"` + peerID + `@"`), []string{"p2p.peers entry", "address"}},
		{"bad second peer", peers(`"` + peerID + `@a:1", "nonsense"`), []string{"p2p.peers entry", `"nonsense"`}},
		{"p2p.listen port past 65535", replace(`listen = "0.0.0.0:26656"`, `listen = "127.0.0.1:65536"`), []string{"p2p.listen", "port"}},
		{"api.listen port not a number", replace(`listen = "127.0.0.1:26657"`, `listen = "127.0.0.1:abc"`), []string{"api.listen", "port"}},
		{"peer port past 65535", peers(`"` + peerID + `@127.0.0.1:70000"`), []string{"p2p.peers entry", "port"}},
		{"peer without host", peers(`"` + peerID + `@:26656"`), []string{"p2p.peers entry", "host"}},
		{"peer port 0", peers(`"` + peerID + `@10.0.0.2:0"`), []string{"p2p.peers entry", "port"}},
		{"log level", replace(`level = "debug"`, `level = "verbose"`), []string{"log.level", `"verbose"`, "debug, info, warn or error"}},
		{"log level case", replace(`level = "debug"`, `level = "INFO"`), []string{"log.level", `"INFO"`}},
		{"log format", replace(`format = "json"`, `format = "xml"`), []string{"log.format", `"xml"`, "text or json"}},
		{"mempool max_txs zero", replace(`max_txs = 5000`, `max_txs = 0`), []string{"mempool.max_txs", "positive"}},
		{"mempool max_txs negative", replace(`max_txs = 5000`, `max_txs = -3`), []string{"mempool.max_txs", "positive"}},
		{"mempool max_bytes zero", replace(`max_bytes = 1048576`, `max_bytes = 0`), []string{"mempool.max_bytes", "positive"}},
		{"mempool max_bytes negative", replace(`max_bytes = 1048576`, `max_bytes = -1`), []string{"mempool.max_bytes", "positive"}},
		{"api max_uploads zero", replace(`pprof = true`, "pprof = true\nmax_uploads = 0"), []string{"api.max_uploads", "positive"}},
		{"api max_connections negative", replace(`pprof = true`, "pprof = true\nmax_connections = -1"), []string{"api.max_connections", "positive"}},
		{"api max_waiting zero", replace(`pprof = true`, "pprof = true\nmax_waiting = 0"), []string{"api.max_waiting", "positive"}},
		{"api client upload quota negative", replace(`pprof = true`, "pprof = true\nclient_upload_bytes_per_hour = -1"), []string{"api.client_upload_bytes_per_hour", "0 (no limit)"}},
		{"blobs max_bytes negative", validText() + "\n[blobs]\nmax_bytes = -1\n", []string{"blobs.max_bytes", "negative"}},
		{"wrong type", replace(`max_txs = 5000`, `max_txs = "lots"`), []string{"max_txs"}},
		{"syntax unterminated string", replace(`moniker = "node7"`, `moniker = "node7`), []string{"read", config.ConfigFile}},
		{"syntax missing value", replace(`moniker = "node7"`, `moniker =`), []string{"read", config.ConfigFile}},
		{"syntax bad table header", replace(`[log]`, `[log`), []string{"read", config.ConfigFile}},
		{"duplicate key", replace(`format = "json"`, "format = \"json\"\nformat = \"text\""), []string{"read", "format"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Load(writeConfig(t, tc.text))
			if err == nil {
				t.Fatalf("Load accepted:\n%s", tc.text)
			}
			msg := err.Error()
			for _, w := range append(tc.want, config.ConfigFile) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
		})
	}
}

func TestValidateDefault(t *testing.T) {
	if err := config.Default().Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
}

func TestIDAOFault(t *testing.T) {
	tests := []struct {
		fault string
		ok    bool
	}{
		{"", true},
		{config.FaultApproveAll, true},
		{"approve_all", false},
		{"APPROVE-ALL", false},
		{"reject-all", false},
		{" approve-all", false},
	}
	for _, tc := range tests {
		t.Run(tc.fault, func(t *testing.T) {
			text := validText() + "\n[idao]\nworkers = 2\nfault = \"" + tc.fault + "\"\n"
			cfg, err := config.Load(writeConfig(t, text))
			if tc.ok {
				if err != nil || cfg.IDAO.Fault != tc.fault || cfg.IDAO.Workers != 2 {
					t.Fatalf("Load: %+v %v", cfg.IDAO, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("idao.fault %q accepted", tc.fault)
			}
			for _, w := range []string{"idao.fault", `"` + tc.fault + `"`, `"approve-all"`, config.ConfigFile} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if config.Default().IDAO.Fault != "" {
		t.Fatal("a new node is Byzantine by default")
	}
}
