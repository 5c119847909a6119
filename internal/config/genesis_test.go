package config_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/staking"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/types"
)

// testKey is one validator's keys and its genesis entry.
type testKey struct {
	node ed25519.PrivateKey
	bls  *bls.SecretKey
	gv   config.GenesisValidator
}

func newTestKey(t *testing.T, name string, stake uint64) testKey {
	t.Helper()
	nk := config.NewNodeKey()
	bk, err := config.NewBLSKey()
	if err != nil {
		t.Fatal(err)
	}
	return testKey{node: nk, bls: bk, gv: config.GenesisValidator{
		Name:   name,
		NodeID: hex.EncodeToString(nk.Public().(ed25519.PublicKey)),
		BLSKey: hex.EncodeToString(bk.PublicKey().Bytes()),
		PoP:    hex.EncodeToString(bk.ProvePossession()),
		Stake:  stake,
	}}
}

// testGenesis builds a valid genesis of n validators with stakes 10, 20, ...
func testGenesis(t *testing.T, n int) (*config.Genesis, []testKey) {
	t.Helper()
	keys := make([]testKey, n)
	g := &config.Genesis{ChainID: "test-chain", Consensus: config.DefaultConsensus()}
	for i := range keys {
		keys[i] = newTestKey(t, "v"+string(rune('a'+i)), uint64(1000*(i+1)))
		g.Validators = append(g.Validators, keys[i].gv)
	}
	return g, keys
}

// clone deep-copies g so each table case mutates its own validators.
func clone(g *config.Genesis) *config.Genesis {
	c := *g
	c.Validators = append([]config.GenesisValidator(nil), g.Validators...)
	return &c
}

func TestGenesisValidRoundTrip(t *testing.T) {
	g, keys := testGenesis(t, 4)
	path := filepath.Join(t.TempDir(), config.GenesisFile)
	if err := g.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := config.LoadGenesis(path)
	if err != nil {
		t.Fatalf("LoadGenesis: %v", err)
	}
	if loaded.ChainID != g.ChainID || loaded.Epoch != g.Epoch || loaded.Consensus != g.Consensus || len(loaded.Validators) != 4 {
		t.Fatalf("loaded %+v, want %+v", loaded, g)
	}
	for i := range g.Validators {
		if loaded.Validators[i] != g.Validators[i] {
			t.Fatalf("validator %d: %+v, want %+v", i, loaded.Validators[i], g.Validators[i])
		}
	}
	vs, err := loaded.ValidatorSet()
	if err != nil {
		t.Fatal(err)
	}
	if vs.Len() != 4 || vs.TotalStake() != 10_000 || vs.ChainID != "test-chain" || vs.Epoch != 0 {
		t.Fatalf("set: len %d total %d chain %q epoch %d", vs.Len(), vs.TotalStake(), vs.ChainID, vs.Epoch)
	}
	if vs.Scheme.Name() != "bls12-381" {
		t.Fatalf("scheme %s", vs.Scheme.Name())
	}
	ids := loaded.NodeIDs()
	for i, k := range keys {
		if got := vs.IndexOf(k.bls.PublicKey().Bytes()); got != i {
			t.Errorf("IndexOf(validator %d's BLS key) = %d", i, got)
		}
		if vs.Validators[i].Stake != uint64(1000*(i+1)) {
			t.Errorf("validator %d stake %d", i, vs.Validators[i].Stake)
		}
		if ids[i] != p2p.IDOf(k.node.Public().(ed25519.PublicKey)) {
			t.Errorf("NodeIDs()[%d] = %s, want the node key's id", i, ids[i])
		}
	}
	// The file is shared between nodes, so it must be readable by them.
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm()&0o044 == 0 {
		t.Fatalf("genesis mode: %v %v", fi.Mode(), err)
	}
}

func TestGenesisSingleValidatorMaxChainID(t *testing.T) {
	g, _ := testGenesis(t, 1)
	g.ChainID = strings.Repeat("c", types.MaxChainIDLen)
	if _, err := g.ValidatorSet(); err != nil {
		t.Fatalf("chain id of exactly %d bytes rejected: %v", types.MaxChainIDLen, err)
	}
	g.Consensus.MaxBlockTxs = types.MaxTxsPerBlock
	g.Consensus.MaxTimeoutMs = g.Consensus.BaseTimeoutMs
	g.Consensus.MaxBlockBytes = config.MaxBlockBytes
	if _, err := g.ValidatorSet(); err != nil {
		t.Fatalf("boundary consensus params rejected: %v", err)
	}
}

func TestGenesisRejects(t *testing.T) {
	base, keys := testGenesis(t, 3)
	other := newTestKey(t, "other", 1)
	// A point that decompresses to nothing on the curve, and one on the
	// curve but outside the prime-order subgroup.
	// Keys are compressed G2 points (96 bytes): x = 1 has no point on the
	// curve, x = 2 has one outside the subgroup.
	notOnCurve := "80" + strings.Repeat("00", 94) + "01"
	notInGroup := "80" + strings.Repeat("00", 94) + "02"
	identity := "c0" + strings.Repeat("00", 95)
	tests := []struct {
		name   string
		mutate func(g *config.Genesis)
		want   []string
	}{
		{"empty chain id", func(g *config.Genesis) { g.ChainID = "" }, []string{"chain_id", "1 to 64 bytes"}},
		{"over-long chain id", func(g *config.Genesis) { g.ChainID = strings.Repeat("x", types.MaxChainIDLen+1) }, []string{"chain_id", "1 to 64 bytes"}},
		{"no validators", func(g *config.Genesis) { g.Validators = nil }, []string{"no validators"}},
		{"zero stake", func(g *config.Genesis) { g.Validators[1].Stake = 0 }, []string{"validator 1", "zero stake"}},
		{"bls key not hex", func(g *config.Genesis) { g.Validators[0].BLSKey = "xyz" }, []string{"validator 0 (va)", "bls_key is not hex"}},
		{"bls key short", func(g *config.Genesis) { g.Validators[0].BLSKey = g.Validators[0].BLSKey[:10] }, []string{"validator 0 (va)", "bls_key", "want 96"}},
		{"bls key empty", func(g *config.Genesis) { g.Validators[2].BLSKey = "" }, []string{"validator 2 (vc)", "bls_key"}},
		{"bls key not on curve", func(g *config.Genesis) { g.Validators[1].BLSKey = notOnCurve }, []string{"validator 1 (vb)", "bls_key", "not a compressed point on the G2 curve"}},
		{"bls key not in subgroup", func(g *config.Genesis) { g.Validators[1].BLSKey = notInGroup }, []string{"validator 1 (vb)", "bls_key", "subgroup"}},
		{"bls key identity", func(g *config.Genesis) { g.Validators[1].BLSKey = identity }, []string{"validator 1 (vb)", "bls_key", "identity"}},
		{"pop of another key", func(g *config.Genesis) { g.Validators[1].PoP = other.gv.PoP }, []string{"validator 1 (vb)", "pop does not prove possession of bls_key"}},
		{"pop of the next validator", func(g *config.Genesis) { g.Validators[0].PoP = g.Validators[1].PoP }, []string{"validator 0 (va)", "pop"}},
		{"pop is a plain signature of the key", func(g *config.Genesis) {
			g.Validators[0].PoP = hex.EncodeToString(keys[0].bls.Sign(keys[0].bls.PublicKey().Bytes()))
		}, []string{"validator 0 (va)", "pop"}},
		{"pop missing", func(g *config.Genesis) { g.Validators[2].PoP = "" }, []string{"validator 2 (vc)", "pop does not prove possession"}},
		{"pop not hex", func(g *config.Genesis) { g.Validators[2].PoP = "zz" }, []string{"validator 2 (vc)", "pop"}},
		{"pop truncated", func(g *config.Genesis) { g.Validators[2].PoP = g.Validators[2].PoP[:20] }, []string{"validator 2 (vc)", "pop"}},
		{"duplicate node_id", func(g *config.Genesis) { g.Validators[2].NodeID = g.Validators[0].NodeID }, []string{"validator 2 (vc)", "node_id repeats"}},
		{"duplicate bls key", func(g *config.Genesis) {
			g.Validators[2].BLSKey, g.Validators[2].PoP = g.Validators[0].BLSKey, g.Validators[0].PoP
		}, []string{"validator 2", "repeats a public key"}},
		{"node_id not hex", func(g *config.Genesis) { g.Validators[1].NodeID = "not-hex" }, []string{"validator 1 (vb)", "node id", "hex"}},
		{"node_id short", func(g *config.Genesis) { g.Validators[1].NodeID = "abcd" }, []string{"validator 1 (vb)", "node id", "32 hex bytes"}},
		{"node_id empty", func(g *config.Genesis) { g.Validators[1].NodeID = "" }, []string{"validator 1 (vb)", "node id"}},
		{"base timeout 0", func(g *config.Genesis) { g.Consensus.BaseTimeoutMs = 0 }, []string{"consensus params", "base_timeout_ms"}},
		{"max timeout below base", func(g *config.Genesis) { g.Consensus.MaxTimeoutMs = g.Consensus.BaseTimeoutMs - 1 }, []string{"consensus params", "max_timeout_ms"}},
		{"max_block_txs 0", func(g *config.Genesis) { g.Consensus.MaxBlockTxs = 0 }, []string{"consensus params", "max_block_txs"}},
		{"max_block_txs negative", func(g *config.Genesis) { g.Consensus.MaxBlockTxs = -1 }, []string{"consensus params", "max_block_txs"}},
		{"max_block_txs over limit", func(g *config.Genesis) { g.Consensus.MaxBlockTxs = types.MaxTxsPerBlock + 1 }, []string{"consensus params", "max_block_txs", "20000"}},
		{"max_block_bytes 0", func(g *config.Genesis) { g.Consensus.MaxBlockBytes = 0 }, []string{"consensus params", "max_block_bytes"}},
		{"max_block_bytes negative", func(g *config.Genesis) { g.Consensus.MaxBlockBytes = -5 }, []string{"consensus params", "max_block_bytes"}},
		{"max_block_bytes over limit", func(g *config.Genesis) { g.Consensus.MaxBlockBytes = types.MaxBlockBytes }, []string{"consensus params", "max_block_bytes"}},
		{"straggler wait as long as a round", func(g *config.Genesis) { g.Consensus.StragglerWaitMs = g.Consensus.BaseTimeoutMs }, []string{"consensus params", "straggler_wait_ms", "base_timeout_ms"}},
		// 2^62 ms as a Duration wraps to 0: a timer that fires at once.
		{"max timeout past an hour", func(g *config.Genesis) { g.Consensus.MaxTimeoutMs = 1 << 62 }, []string{"consensus params", "max_timeout_ms"}},
		// These were refused only by the node's start.
		{"stake below min_stake", func(g *config.Genesis) { g.Validators[1].Stake = 5 }, []string{"stake 5 is below min_stake"}},
		{"more validators than seats", func(g *config.Genesis) {
			p := staking.DefaultParams()
			p.MaxValidators = 2
			g.Staking = &p
		}, []string{"max_validators"}},
		{"name not printable", func(g *config.Genesis) { g.Validators[1].Name = "v\n" }, []string{"name", "control characters"}},
		{"a committee outlives unbonding", func(g *config.Genesis) {
			p := idao.DefaultParams()
			p.RotationBlocks = staking.DefaultParams().UnbondingBlocks / 2
			g.IDAO = &p
		}, []string{"rotation_blocks", "unbonding_blocks"}},
		{"supply over 64 bits", func(g *config.Genesis) {
			g.Accounts = []config.GenesisAccount{
				{Address: strings.Repeat("01", 32), Balance: math.MaxUint64},
				{Address: strings.Repeat("02", 32), Balance: 1},
			}
		}, []string{"supply overflows"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := clone(base)
			tc.mutate(g)
			err := g.Check()
			if err == nil {
				t.Fatal("Check accepted the genesis")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Check error %q does not mention %q", err, w)
				}
			}
			// LoadGenesis reports the same problem, naming the file.
			path := filepath.Join(t.TempDir(), "g.json")
			if err := g.Save(path); err != nil {
				t.Fatal(err)
			}
			if _, err := config.LoadGenesis(path); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.want[0]) {
				t.Errorf("LoadGenesis error %v: want one naming %s and %q", err, path, tc.want[0])
			}
		})
	}
	// The table mutated copies only.
	if _, err := base.ValidatorSet(); err != nil {
		t.Fatalf("base genesis was modified: %v", err)
	}
}

func TestLoadGenesisBadFiles(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, body, want string }{
		{"invalid JSON", `{"chain_id": "x",`, "not valid JSON"},
		{"not an object", `[1, 2, 3]`, "not valid JSON"},
		{"wrong type", `{"chain_id": 7}`, "not valid JSON"},
		{"empty file", ``, "not valid JSON"},
		{"empty object", `{}`, "chain_id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".json")
			if err := os.WriteFile(path, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := config.LoadGenesis(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want one naming %s and containing %q", err, path, tc.want)
			}
		})
	}
	if _, err := config.LoadGenesis(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "read genesis") {
		t.Fatalf("missing file: %v", err)
	}
}

// The leader's wait for late votes defaults to a quarter of the base
// timeout, and a genesis can set it: a set spread across the world needs
// it above its widest round-trip gap.
func TestStragglerWait(t *testing.T) {
	for _, tc := range []struct {
		base, wait uint64
		want       time.Duration
	}{
		{1000, 0, 250 * time.Millisecond},
		{500, 0, 125 * time.Millisecond},
		{1000, 400, 400 * time.Millisecond},
	} {
		c := config.ConsensusParams{BaseTimeoutMs: tc.base, StragglerWaitMs: tc.wait}
		if got := c.StragglerWait(); got != tc.want {
			t.Errorf("base %d ms, straggler_wait_ms %d: wait %v, want %v", tc.base, tc.wait, got, tc.want)
		}
	}
}
