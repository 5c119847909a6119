package cli

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/staking"
)

func initCommand() *cobra.Command {
	var home, chainID, moniker, p2pListen, apiListen string
	var peers []string
	var stake uint64
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a node home: config.toml, node and BLS keys, and a one-validator genesis",
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := newNodeFiles(home, moniker)
			if err != nil {
				return err
			}
			f.genesis.Stake = stake
			// A node joining a running network on the same machine needs
			// its own ports and someone to dial.
			if p2pListen != "" {
				f.cfg.P2P.Listen = p2pListen
			}
			if apiListen != "" {
				f.cfg.API.Listen = apiListen
			}
			f.cfg.P2P.Peers = peers
			g := &config.Genesis{ChainID: chainID, Validators: []config.GenesisValidator{f.genesis}, Consensus: config.DefaultConsensus()}
			if err := g.Check(); err != nil {
				return fmt.Errorf("genesis: %w", err)
			}
			if err := f.write(g); err != nil {
				return err
			}
			fmt.Printf("initialised %s\n  chain id: %s\n  node id:  %s\n  start it: lazchain start --home %s\n", home, chainID, f.genesis.NodeID, home)
			return nil
		},
	}
	cmd.Flags().StringVar(&home, "home", "", "node home directory (required)")
	cmd.Flags().StringVar(&chainID, "chain-id", "lazchain-local", "chain id")
	cmd.Flags().StringVar(&moniker, "moniker", "node0", "this node's name")
	cmd.Flags().Uint64Var(&stake, "stake", DefaultStake, "the validator's stake in genesis")
	cmd.Flags().StringVar(&p2pListen, "p2p-listen", "", "p2p listen address host:port (default "+config.Default().P2P.Listen+")")
	cmd.Flags().StringVar(&apiListen, "api-listen", "", "API listen address host:port (default "+config.Default().API.Listen+")")
	cmd.Flags().StringSliceVar(&peers, "peers", nil, "peers to dial, node_id@host:port, comma-separated")
	cmd.MarkFlagRequired("home")
	return cmd
}

type testnetFlags struct {
	validators int
	output     string
	chainID    string
	hostnames  string
	host       string
	basePort   int
	timeoutMs  uint64
	// broadcastVotes sets the genesis consensus.broadcast_votes.
	broadcastVotes bool
	epochLength    uint64
	maxBlockTxs    int    // genesis consensus.max_block_txs; 0: the default
	accounts       int    // user accounts to create and fund, under output/accounts
	stakes         string // comma-separated genesis stakes, one per validator; empty: DefaultStake each
}

func testnetCommand() *cobra.Command {
	var f testnetFlags
	cmd := &cobra.Command{
		Use:   "testnet",
		Short: "Write a ready N-validator network: one home per node with a shared genesis",
		Example: "  lazchain testnet --validators 4 --output ./net\n" +
			"  lazchain testnet --validators 4 --output ./net --hostnames node0,node1,node2,node3",
		RunE: func(cmd *cobra.Command, _ []string) error {
			homes, err := writeTestnet(f)
			if err != nil {
				return err
			}
			for i, h := range homes {
				fmt.Printf("node%d: %s\n", i, h)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&f.validators, "validators", 4, "number of validators")
	fl.StringVar(&f.output, "output", "", "directory to write node homes into (required)")
	fl.StringVar(&f.chainID, "chain-id", "lazchain-testnet", "chain id")
	fl.StringVar(&f.hostnames, "hostnames", "", "comma-separated hostnames, one per node (containers); default is loopback ports")
	fl.StringVar(&f.host, "host", "127.0.0.1", "loopback address for the nodes when --hostnames is not given")
	fl.IntVar(&f.basePort, "base-port", 26656, "first port; node i uses base+2i for p2p and base+2i+1 for the API")
	fl.Uint64Var(&f.timeoutMs, "timeout-ms", 1000, "base round timeout in milliseconds")
	fl.BoolVar(&f.broadcastVotes, "broadcast-votes", false, "send votes to every validator, not only the next leader (genesis consensus.broadcast_votes)")
	fl.Uint64Var(&f.epochLength, "epoch-length", staking.DefaultParams().EpochLength, "committed blocks per epoch")
	fl.IntVar(&f.accounts, "accounts", 1, "user account keys to write under OUTPUT/accounts and fund in the genesis")
	fl.StringVar(&f.stakes, "stakes", "", "comma-separated genesis stakes, one per validator (default: 1000000 each)")
	cmd.MarkFlagRequired("output")
	return cmd
}

// Genesis amounts of a new network: every validator bonds DefaultStake
// and its operator account holds DefaultBalance.
const (
	DefaultStake   = 1_000_000
	DefaultBalance = 1_000_000_000
)

// writeTestnet creates the homes and returns their paths.
// maxEpochLength keeps the unbonding period that testnet derives from the
// epoch length (a few epochs) far from overflowing.
const maxEpochLength = 1 << 40

func writeTestnet(f testnetFlags) ([]string, error) {
	if f.validators < 1 || f.validators > 100 {
		return nil, fmt.Errorf("--validators %d: want 1 to 100", f.validators)
	}
	var hosts []string
	if f.hostnames != "" {
		hosts = strings.Split(f.hostnames, ",")
		if len(hosts) != f.validators {
			return nil, fmt.Errorf("--hostnames has %d names for %d validators", len(hosts), f.validators)
		}
	}
	if f.basePort < 1 || f.basePort+2*f.validators-1 > 65535 {
		return nil, fmt.Errorf("--base-port %d: the %d nodes need ports %d to %d, which must lie in 1..65535",
			f.basePort, f.validators, f.basePort, f.basePort+2*f.validators-1)
	}
	if f.epochLength > maxEpochLength {
		return nil, fmt.Errorf("--epoch-length %d: want at most %d", f.epochLength, uint64(maxEpochLength))
	}
	stakes, err := parseStakes(f.stakes, f.validators)
	if err != nil {
		return nil, err
	}
	files := make([]*nodeFiles, f.validators)
	addrs := make([]string, f.validators)
	params := staking.DefaultParams()
	if f.epochLength > 0 {
		params.EpochLength = f.epochLength
		// Unbonding must outlast the evidence window, which counts epochs.
		params.UnbondingBlocks = max(params.UnbondingBlocks, (params.EvidenceMaxAgeEpochs+1)*f.epochLength)
	}
	g := &config.Genesis{ChainID: f.chainID, Consensus: config.DefaultConsensus(), Staking: &params}
	g.Consensus.BaseTimeoutMs = f.timeoutMs
	g.Consensus.MaxTimeoutMs = 8 * f.timeoutMs
	g.Consensus.BroadcastVotes = f.broadcastVotes
	if f.maxBlockTxs > 0 {
		g.Consensus.MaxBlockTxs = f.maxBlockTxs
	}
	for i := range files {
		name := fmt.Sprintf("node%d", i)
		nf, err := newNodeFiles(fmt.Sprintf("%s/%s", f.output, name), name)
		if err != nil {
			return nil, err
		}
		if hosts != nil {
			nf.cfg.P2P.Listen = "0.0.0.0:26656"
			nf.cfg.API.Listen = "0.0.0.0:26657"
			addrs[i] = net.JoinHostPort(hosts[i], "26656")
		} else {
			nf.cfg.P2P.Listen = net.JoinHostPort(f.host, strconv.Itoa(f.basePort+2*i))
			nf.cfg.API.Listen = net.JoinHostPort(f.host, strconv.Itoa(f.basePort+2*i+1))
			addrs[i] = nf.cfg.P2P.Listen
		}
		nf.genesis.Stake = stakes[i]
		g.Validators = append(g.Validators, nf.genesis)
		// Each validator's node key is also its operator account, funded so
		// it can delegate, pay and fund new validators out of the box.
		g.Accounts = append(g.Accounts, config.GenesisAccount{Address: nf.genesis.NodeID, Balance: DefaultBalance})
		files[i] = nf
	}
	users, err := userAccounts(f.accounts)
	if err != nil {
		return nil, err
	}
	for _, k := range users {
		g.Accounts = append(g.Accounts, config.GenesisAccount{Address: hex.EncodeToString(k.Public().(ed25519.PublicKey)), Balance: DefaultBalance})
	}
	// Check everything before the first file is written, so a bad flag
	// leaves the output directory reusable.
	if err := g.Check(); err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	for i, nf := range files {
		for j, other := range files {
			if j != i {
				nf.cfg.P2P.Peers = append(nf.cfg.P2P.Peers, other.genesis.NodeID+"@"+addrs[j])
			}
		}
		if err := nf.cfg.Validate(); err != nil {
			return nil, fmt.Errorf("%s: %w", nf.dir, err)
		}
	}
	if err := writeAccounts(filepath.Join(f.output, "accounts"), users); err != nil {
		return nil, err
	}
	homes := make([]string, len(files))
	for i, nf := range files {
		if err := nf.write(g); err != nil {
			return nil, err
		}
		homes[i] = nf.dir
	}
	return homes, nil
}

// userAccounts makes n account keys. The validators' node keys are funded
// too, but their nodes sign their own transactions with them, so a user
// sharing one would race the node for nonces.
func userAccounts(n int) ([]ed25519.PrivateKey, error) {
	if n < 0 || n > 1000 {
		return nil, fmt.Errorf("--accounts %d: want 0 to 1000", n)
	}
	keys := make([]ed25519.PrivateKey, n)
	for i := range keys {
		keys[i] = config.NewNodeKey()
	}
	return keys, nil
}

func writeAccounts(dir string, keys []ed25519.PrivateKey) error {
	if len(keys) == 0 {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for i, k := range keys {
		if err := config.SaveNodeKey(AccountFile(dir, i), k); err != nil {
			return err
		}
	}
	return nil
}

// AccountFile is the key file of user account i of a testnet.
func AccountFile(dir string, i int) string {
	return filepath.Join(dir, fmt.Sprintf("account%d.json", i))
}

// parseStakes reads --stakes: one positive stake per validator.
func parseStakes(list string, n int) ([]uint64, error) {
	out := make([]uint64, n)
	if list == "" {
		for i := range out {
			out[i] = DefaultStake
		}
		return out, nil
	}
	parts := strings.Split(list, ",")
	if len(parts) != n {
		return nil, fmt.Errorf("--stakes has %d values for %d validators", len(parts), n)
	}
	for i, p := range parts {
		v, err := strconv.ParseUint(strings.TrimSpace(p), 10, 64)
		if err != nil || v == 0 {
			return nil, fmt.Errorf("--stakes value %q: want a positive integer", p)
		}
		out[i] = v
	}
	return out, nil
}
