package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/lazchain/lazchain/internal/p2p"
)

// Config is config.toml.
type Config struct {
	Moniker string        `toml:"moniker"`
	P2P     P2PConfig     `toml:"p2p"`
	API     APIConfig     `toml:"api"`
	Log     LogConfig     `toml:"log"`
	Mempool MempoolConfig `toml:"mempool"`
	IDAO    IDAOConfig    `toml:"idao"`
	Blobs   BlobsConfig   `toml:"blobs"`
}

// BlobsConfig is the [blobs] table: the off-chain store's bounds. Anyone
// who reaches the API can upload, and nothing is deleted.
type BlobsConfig struct {
	// MaxBytes caps the chunks clients may upload in all; past it an
	// upload gets 507 storage_full. 0 means no cap.
	MaxBytes int64 `toml:"max_bytes"`
	// ReserveBytes of the disk are left free for the node's database:
	// past it uploads and fetched replicas are refused alike.
	ReserveBytes int64 `toml:"reserve_bytes"`
}

// IDAOConfig is the [idao] table: this node's committee work.
type IDAOConfig struct {
	// Workers verify artifacts in parallel, per iDAO.
	Workers int `toml:"workers"`
	// Paused stops this validator's committee work (verifying, voting,
	// beacon contributions, rulings on disputes) while it keeps validating
	// blocks; its seats and its share of a ruling count as absent.
	Paused bool `toml:"paused"`
	// Fault turns this node into a Byzantine verifier, for fault-injection
	// tests and never for a real network: "" (the default) is honest, and
	// FaultApproveAll ("approve-all") votes every artifact valid and
	// defends every disputed certificate. The node logs a warning at
	// start when it is set.
	Fault string `toml:"fault"`
}

// FaultApproveAll is the idao.fault of a member that votes every artifact
// valid: an artifact its verifier finds valid gets the honest vote
// (verdict valid, the verifier's digest); any other (found invalid, no
// verdict, bytes not fetched) gets verdict valid with one fixed digest,
// SHA-256("lazchain/fault/approve-all/v1"), and no reason. Members with
// this fault therefore cast identical votes and certify an invalid
// artifact together when they hold the threshold of a committee. In
// disputes such a validator always signs a ruling against the challenger
// that reproduces the disputed certificate, so a test can check that the
// honest stake (more than two thirds) still wins.
const FaultApproveAll = "approve-all"

// P2PConfig is the [p2p] table.
type P2PConfig struct {
	Listen string   `toml:"listen"`
	Peers  []string `toml:"peers"` // "node_id@host:port"
	// Open accepts connections from any node key, so full nodes can sync
	// and relay transactions. Consensus messages still count only from the
	// epoch's validators. With Open off, only validators and listed peers
	// may connect.
	Open bool `toml:"open"`
}

// APIConfig is the [api] table.
type APIConfig struct {
	Listen string `toml:"listen"`
	// Pprof serves Go's profiler under /debug/pprof/ on the API listener.
	// Keep it off on a public address.
	Pprof bool `toml:"pprof"`
	// MaxConnections caps open API connections; past it a new one gets
	// 503 too_many_connections.
	MaxConnections int `toml:"max_connections"`
	// MaxWaiting caps requests that wait for a commit or a height (each
	// holds a connection for up to 30 s); MaxUploads caps transaction
	// batches (up to 32 MiB each, held in memory) and blob uploads in
	// progress. Past them a request waits up to 2 s for a slot, then gets
	// 503 busy.
	MaxWaiting int `toml:"max_waiting"`
	MaxUploads int `toml:"max_uploads"`
	// ClientUploadBytesPerHour is how many blob bytes one client (an
	// IPv4 address or an IPv6 /64) may store an hour, in bursts of up to an hour's
	// worth; past it an upload gets 429 upload_quota with Retry-After.
	// 0 sets no per-client limit: behind a proxy every client has the
	// proxy's address, and the proxy should limit them instead.
	ClientUploadBytesPerHour int64 `toml:"client_upload_bytes_per_hour"`
}

// API limits of a new node: 8 batches of 32 MiB are 256 MiB, the
// mempool's own byte limit.
const (
	DefaultMaxConnections = 1024
	DefaultMaxWaiting     = 512
	DefaultMaxUploads     = 8
	// DefaultClientUploadPerHour lets one client fill a quarter of the
	// default blob quota in an hour.
	DefaultClientUploadPerHour = 16 << 30
)

// LogConfig is the [log] table.
type LogConfig struct {
	Level  string `toml:"level"`  // debug, info, warn, error
	Format string `toml:"format"` // text or json
}

// MempoolConfig is the [mempool] table.
type MempoolConfig struct {
	MaxTxs   int `toml:"max_txs"`
	MaxBytes int `toml:"max_bytes"`
}

// Default returns the settings of a new node.
func Default() Config {
	return Config{
		P2P: P2PConfig{Listen: "127.0.0.1:26656", Open: true},
		API: APIConfig{Listen: "127.0.0.1:26657", MaxConnections: DefaultMaxConnections,
			MaxWaiting: DefaultMaxWaiting, MaxUploads: DefaultMaxUploads, ClientUploadBytesPerHour: DefaultClientUploadPerHour},
		Log:     LogConfig{Level: "info", Format: "text"},
		Mempool: MempoolConfig{MaxTxs: 200_000, MaxBytes: 256 << 20},
		IDAO:    IDAOConfig{Workers: 8},
		Blobs:   BlobsConfig{MaxBytes: 64 << 30, ReserveBytes: 1 << 30},
	}
}

// Files in a node home.
const (
	ConfigFile  = "config.toml"
	GenesisFile = "genesis.json"
	NodeKeyFile = "node_key.json"
	BLSKeyFile  = "bls_key.json"
	DataDir     = "data"
)

// Load reads home/config.toml and validates it. Unknown keys are errors:
// a typo must not silently leave a default in place.
func Load(home string) (Config, error) {
	path := filepath.Join(home, ConfigFile)
	cfg := Default()
	md, err := toml.DecodeFile(path, &cfg)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, fmt.Errorf("read %s: %w (create a home with: lazchain init --home %s)", path, err, home)
	}
	if err != nil {
		return cfg, fmt.Errorf("read %s: %w", path, err)
	}
	if undec := md.Undecoded(); len(undec) > 0 {
		return cfg, fmt.Errorf("%s: unknown setting %q (check the spelling)", path, undec[0].String())
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Save writes cfg as TOML.
func (c Config) Save(home string) error {
	f, err := os.Create(filepath.Join(home, ConfigFile))
	if err != nil {
		return err
	}
	defer f.Close()
	return toml.NewEncoder(f).Encode(c)
}

// Validate checks every field.
func (c Config) Validate() error {
	if err := checkHostPort(c.P2P.Listen, false); err != nil {
		return fmt.Errorf("p2p.listen: %w", err)
	}
	if err := checkHostPort(c.API.Listen, false); err != nil {
		return fmt.Errorf("api.listen: %w", err)
	}
	if _, err := c.PeerAddrs(); err != nil {
		return err
	}
	if c.API.MaxConnections <= 0 || c.API.MaxWaiting <= 0 || c.API.MaxUploads <= 0 {
		return fmt.Errorf("api.max_connections (%d), api.max_waiting (%d) and api.max_uploads (%d) must be positive",
			c.API.MaxConnections, c.API.MaxWaiting, c.API.MaxUploads)
	}
	if c.API.ClientUploadBytesPerHour < 0 {
		return fmt.Errorf("api.client_upload_bytes_per_hour %d: want 0 (no limit) or more", c.API.ClientUploadBytesPerHour)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log.level %q: want debug, info, warn or error", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		return fmt.Errorf("log.format %q: want text or json", c.Log.Format)
	}
	if c.Mempool.MaxTxs <= 0 || c.Mempool.MaxBytes <= 0 {
		return fmt.Errorf("mempool.max_txs and mempool.max_bytes must be positive")
	}
	if c.Blobs.MaxBytes < 0 || c.Blobs.ReserveBytes < 0 {
		return fmt.Errorf("blobs.max_bytes (%d) and blobs.reserve_bytes (%d) must not be negative", c.Blobs.MaxBytes, c.Blobs.ReserveBytes)
	}
	if c.IDAO.Workers < 0 || c.IDAO.Workers > 64 {
		return fmt.Errorf("idao.workers is %d: want 0 (default) to 64", c.IDAO.Workers)
	}
	if c.IDAO.Fault != "" && c.IDAO.Fault != FaultApproveAll {
		return fmt.Errorf("idao.fault %q: want \"\" (honest, the default) or %q (a Byzantine verifier for fault-injection tests); remove the setting on a real node", c.IDAO.Fault, FaultApproveAll)
	}
	return nil
}

// PeerAddrs parses p2p.peers.
func (c Config) PeerAddrs() ([]p2p.PeerAddr, error) {
	out := make([]p2p.PeerAddr, 0, len(c.P2P.Peers))
	for _, s := range c.P2P.Peers {
		id, addr, ok := strings.Cut(s, "@")
		if !ok {
			return nil, fmt.Errorf("p2p.peers entry %q: want node_id@host:port", s)
		}
		nid, err := p2p.ParseNodeID(id)
		if err != nil {
			return nil, fmt.Errorf("p2p.peers entry %q: %w", s, err)
		}
		if err := checkHostPort(addr, true); err != nil {
			return nil, fmt.Errorf("p2p.peers entry %q: %w", s, err)
		}
		out = append(out, p2p.PeerAddr{ID: nid, Addr: addr})
	}
	return out, nil
}

// checkHostPort checks a host:port address. A listen address may leave the
// host empty (every interface) and use port 0 (any free one); an address
// to dial needs both.
func checkHostPort(addr string, dial bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: want host:port: %w", addr, err)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return fmt.Errorf("address %q: port %q is not a number from 0 to 65535", addr, port)
	}
	if dial && (host == "" || n == 0) {
		return fmt.Errorf("address %q: a peer needs a host and a port from 1 to 65535", addr)
	}
	return nil
}
