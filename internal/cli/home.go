package cli

import (
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lazchain/lazchain/internal/config"
)

// nodeFiles is what one node home holds before it first starts.
type nodeFiles struct {
	dir     string
	cfg     config.Config
	genesis config.GenesisValidator
}

// newNodeFiles creates dir with fresh keys and returns the validator's
// genesis entry (without stake).
func newNodeFiles(dir, name string) (*nodeFiles, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, config.NodeKeyFile)); err == nil {
		return nil, fmt.Errorf("%s already holds a node (node_key.json exists); choose an empty directory", dir)
	}
	nodeKey := config.NewNodeKey()
	blsKey, err := config.NewBLSKey()
	if err != nil {
		return nil, fmt.Errorf("bls key: %w", err)
	}
	if err := config.SaveNodeKey(filepath.Join(dir, config.NodeKeyFile), nodeKey); err != nil {
		return nil, err
	}
	if err := config.SaveBLSKey(filepath.Join(dir, config.BLSKeyFile), blsKey); err != nil {
		return nil, err
	}
	cfg := config.Default()
	cfg.Moniker = name
	return &nodeFiles{dir: dir, cfg: cfg, genesis: config.GenesisValidator{
		Name:   name,
		NodeID: hex.EncodeToString(nodeKey.Public().(ed25519.PublicKey)),
		BLSKey: hex.EncodeToString(blsKey.PublicKey().Bytes()),
		PoP:    hex.EncodeToString(blsKey.ProvePossession()),
	}}, nil
}

func (f *nodeFiles) write(g *config.Genesis) error {
	if err := f.cfg.Validate(); err != nil {
		return fmt.Errorf("%s: %w", f.dir, err)
	}
	if err := f.cfg.Save(f.dir); err != nil {
		return fmt.Errorf("write config in %s: %w", f.dir, err)
	}
	return g.Save(filepath.Join(f.dir, config.GenesisFile))
}
