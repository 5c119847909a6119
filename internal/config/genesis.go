package config

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/lazchain/lazchain/internal/crypto"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
)

// Genesis is the chain's starting point; every node of a chain has the
// same file.
type Genesis struct {
	ChainID    string             `json:"chain_id"`
	Epoch      uint64             `json:"epoch"`
	Validators []GenesisValidator `json:"validators"`
	Consensus  ConsensusParams    `json:"consensus"`
	Staking    *staking.Params    `json:"staking,omitempty"`
	IDAO       *idao.Params       `json:"idao,omitempty"`
	Accounts   []GenesisAccount   `json:"accounts,omitempty"`
}

// GenesisValidator is one initial validator.
type GenesisValidator struct {
	Name   string `json:"name"`
	NodeID string `json:"node_id"` // hex ed25519 public key of its p2p identity
	BLSKey string `json:"bls_key"` // hex compressed BLS12-381 G2 public key (min-sig)
	PoP    string `json:"pop"`     // hex proof of possession of BLSKey
	Stake  uint64 `json:"stake"`
}

// ConsensusParams are chain-wide consensus settings.
type ConsensusParams struct {
	BaseTimeoutMs uint64 `json:"base_timeout_ms"`
	MaxTimeoutMs  uint64 `json:"max_timeout_ms"`
	MaxBlockTxs   int    `json:"max_block_txs"`
	MaxBlockBytes int    `json:"max_block_bytes"`
	// BroadcastVotes sends votes to every validator rather than the next
	// leader only (in sets of up to consensus.BroadcastVotesUpTo). Each
	// validator then learns a commit when the votes arrive, a message
	// earlier, for one more pairing check per round whenever the next
	// proposal's QC has other signers than its own: a gain where
	// validators have cores of their own and messages take milliseconds,
	// a loss when they share a few cores on one machine (BENCHMARKS.md).
	BroadcastVotes bool `json:"broadcast_votes,omitempty"`
	// StragglerWaitMs is how long a leader may hold its proposal for the
	// late votes of validators the chain has not shown for a few blocks
	// (consensus.Core.Stragglers); 0 means a quarter of base_timeout_ms.
	// A validator whose vote trails the quorum's by more than three
	// quarters of it drops out of QCs, and then out of the leader draw
	// and, at an epoch's end, out of the set: a set spread across the
	// world needs it above its widest round-trip gap.
	StragglerWaitMs uint64 `json:"straggler_wait_ms,omitempty"`
}

// StragglerWait is the longest a leader holds a proposal for late votes.
func (c ConsensusParams) StragglerWait() time.Duration {
	if c.StragglerWaitMs == 0 {
		return time.Duration(c.BaseTimeoutMs) * time.Millisecond / 4
	}
	return time.Duration(c.StragglerWaitMs) * time.Millisecond
}

// MaxBlockBytes is the largest consensus.max_block_bytes. The mempool
// budgets a transaction at its body and signature plus 64 bytes, which can
// fall short of its encoding by up to MaxChainIDLen-14 bytes; the 1 MiB of
// headroom covers that for MaxTxsPerBlock transactions plus the block header
// and QC, so a full block stays within types.MaxBlockBytes.
const MaxBlockBytes = types.MaxBlockBytes - 1<<20

// DefaultConsensus is what new genesis files get.
func DefaultConsensus() ConsensusParams {
	return ConsensusParams{BaseTimeoutMs: 1000, MaxTimeoutMs: 8000, MaxBlockTxs: 5000, MaxBlockBytes: 4 << 20}
}

// MaxTimeoutMs bounds a round's timeout: past an hour a stalled round is
// an outage, and the value must convert to a time.Duration.
const MaxTimeoutMs = 3_600_000

// LoadGenesis reads and validates a genesis file.
func LoadGenesis(path string) (*Genesis, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read genesis: %w", err)
	}
	var g Genesis
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields() // a misspelt field must not silently vanish
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("genesis %s is not valid JSON: %w", path, err)
	}
	if err := g.Check(); err != nil {
		return nil, fmt.Errorf("genesis %s: %w", path, err)
	}
	return &g, nil
}

// Check validates everything a node's start would: the consensus
// parameters and the validator set, the accounts and parameters of the
// state, and the staking rules genesis validators must meet (min_stake,
// max_validators, name and address lengths). A file that passes starts.
func (g *Genesis) Check() error {
	if _, err := g.ValidatorSet(); err != nil {
		return err
	}
	gs, err := g.State()
	if err != nil {
		return err
	}
	if _, err := staking.Genesis(g.ChainID, gs.Params, gs.Validators); err != nil {
		return err
	}
	return nil
}

// Save writes the genesis as indented JSON.
func (g *Genesis) Save(path string) error {
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// ValidatorSet checks every field and builds the epoch's set. Each BLS key
// must come with a valid proof of possession.
func (g *Genesis) ValidatorSet() (*types.ValidatorSet, error) {
	if g.ChainID == "" || len(g.ChainID) > types.MaxChainIDLen {
		return nil, fmt.Errorf("chain_id must be 1 to %d bytes", types.MaxChainIDLen)
	}
	c := g.Consensus
	if c.BaseTimeoutMs == 0 || c.MaxTimeoutMs < c.BaseTimeoutMs || c.MaxBlockTxs <= 0 || c.MaxBlockTxs > types.MaxTxsPerBlock {
		return nil, fmt.Errorf("consensus params %+v: need 0 < base_timeout_ms <= max_timeout_ms and 0 < max_block_txs <= %d", c, types.MaxTxsPerBlock)
	}
	if c.MaxTimeoutMs > MaxTimeoutMs {
		// In milliseconds as a Duration, 2^62 wraps to 0: a timer that
		// fires at once.
		return nil, fmt.Errorf("consensus params: max_timeout_ms %d: need at most %d (an hour)", c.MaxTimeoutMs, uint64(MaxTimeoutMs))
	}
	if c.StragglerWaitMs >= c.BaseTimeoutMs {
		// Held that long, the proposal would come after the round's timeout.
		return nil, fmt.Errorf("consensus params: straggler_wait_ms %d: need less than base_timeout_ms %d", c.StragglerWaitMs, c.BaseTimeoutMs)
	}
	// With max_block_bytes 0 (say, omitted from a hand-written file) no
	// transaction ever fits in a block; above the limit, proposals could
	// exceed what peers decode.
	if c.MaxBlockBytes <= 0 || c.MaxBlockBytes > MaxBlockBytes {
		return nil, fmt.Errorf("consensus params: max_block_bytes %d: need 0 < max_block_bytes <= %d", c.MaxBlockBytes, MaxBlockBytes)
	}
	if len(g.Validators) == 0 {
		return nil, fmt.Errorf("no validators")
	}
	scheme := bls.Scheme{}
	vals := make([]types.Validator, len(g.Validators))
	nodes := map[p2p.NodeID]bool{}
	for i, v := range g.Validators {
		pk, err := parseBLS(scheme, v)
		if err != nil {
			return nil, fmt.Errorf("validator %d (%s): %w", i, v.Name, err)
		}
		id, err := p2p.ParseNodeID(v.NodeID)
		if err != nil {
			return nil, fmt.Errorf("validator %d (%s): %w", i, v.Name, err)
		}
		if nodes[id] {
			return nil, fmt.Errorf("validator %d (%s): node_id repeats another validator's", i, v.Name)
		}
		nodes[id] = true
		vals[i] = types.Validator{PubKey: pk, Stake: v.Stake}
	}
	return types.NewValidatorSet(g.ChainID, g.Epoch, scheme, vals)
}

func parseBLS(scheme bls.Scheme, v GenesisValidator) (crypto.PublicKey, error) {
	raw, err := hex.DecodeString(v.BLSKey)
	if err != nil {
		return nil, fmt.Errorf("bls_key is not hex: %w", err)
	}
	pk, err := scheme.ParsePublicKey(raw)
	if err != nil {
		return nil, fmt.Errorf("bls_key: %w", err)
	}
	pop, err := hex.DecodeString(v.PoP)
	if err != nil || !scheme.VerifyPossession(pk, pop) {
		return nil, fmt.Errorf("pop does not prove possession of bls_key")
	}
	return pk, nil
}

// NodeIDs returns the validators' p2p ids in set order.
func (g *Genesis) NodeIDs() []p2p.NodeID {
	out := make([]p2p.NodeID, len(g.Validators))
	for i, v := range g.Validators {
		out[i], _ = p2p.ParseNodeID(v.NodeID) // validated by LoadGenesis
	}
	return out
}
