package cli

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/crypto/bls"
)

// nodeFiles is what one node home holds before it first starts.
type nodeFiles struct {
	dir     string
	cfg     config.Config
	genesis config.GenesisValidator
	nodeKey ed25519.PrivateKey
	blsKey  *bls.SecretKey
}

// newNodeFiles makes fresh keys for a node in dir and returns the
// validator's genesis entry (without stake). Nothing is written until
// write, so a genesis that fails validation leaves dir reusable.
func newNodeFiles(dir, name string) (*nodeFiles, error) {
	// Any of these means a node lived here: a new key over an old one
	// destroys a validator's identity or its consensus key.
	for _, name := range []string{config.NodeKeyFile, config.BLSKeyFile, config.ConfigFile, config.DataDir} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return nil, fmt.Errorf("%s already holds a node (%s exists); choose an empty directory", dir, name)
		}
	}
	nodeKey := config.NewNodeKey()
	blsKey, err := config.NewBLSKey()
	if err != nil {
		return nil, fmt.Errorf("bls key: %w", err)
	}
	cfg := config.Default()
	cfg.Moniker = name
	return &nodeFiles{dir: dir, cfg: cfg, nodeKey: nodeKey, blsKey: blsKey, genesis: config.GenesisValidator{
		Name:   name,
		NodeID: hex.EncodeToString(nodeKey.Public().(ed25519.PublicKey)),
		BLSKey: hex.EncodeToString(blsKey.PublicKey().Bytes()),
		PoP:    hex.EncodeToString(blsKey.ProvePossession()),
	}}, nil
}

// write creates the home: keys, config.toml and genesis.json. Callers
// validate g first.
func (f *nodeFiles) write(g *config.Genesis) error {
	if err := f.cfg.Validate(); err != nil {
		return fmt.Errorf("%s: %w", f.dir, err)
	}
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", f.dir, err)
	}
	if err := config.SaveNodeKey(filepath.Join(f.dir, config.NodeKeyFile), f.nodeKey); err != nil {
		return err
	}
	if err := config.SaveBLSKey(filepath.Join(f.dir, config.BLSKeyFile), f.blsKey); err != nil {
		return err
	}
	if err := f.cfg.Save(f.dir); err != nil {
		return fmt.Errorf("write config in %s: %w", f.dir, err)
	}
	return g.Save(filepath.Join(f.dir, config.GenesisFile))
}
