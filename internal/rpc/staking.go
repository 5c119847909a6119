package rpc

import (
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"

	"github.com/lazchain/lazchain/internal/node"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
)

// validators serves GET /validators[?epoch=N].
func (s *Server) validators(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("epoch")
	if q == "" {
		writeJSON(w, http.StatusOK, map[string]any{"epoch": s.n.Epoch(), "validators": s.n.Validators()})
		return
	}
	e, err := strconv.ParseUint(q, 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_epoch", "epoch must be a non-negative integer")
		return
	}
	vals, err := s.n.ValidatorsAt(e)
	if !s.ok(w, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"epoch": e, "validators": vals})
}

// ok writes err as the matching JSON error and reports whether there was
// none.
func (s *Server) ok(w http.ResponseWriter, err error) bool {
	switch {
	case err == nil:
		return true
	case errors.Is(err, node.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	default:
		writeError(w, http.StatusInternalServerError, "internal", err.Error())
	}
	return false
}

// EpochView is GET /epochs/{n}.
type EpochView struct {
	Epoch      uint64               `json:"epoch"`
	Root       string               `json:"root"`        // id of the block the epoch's chain starts from
	LastHeight uint64               `json:"last_height"` // height of the previous epoch's last block
	LastBlock  string               `json:"last_block,omitempty"`
	EndHeight  uint64               `json:"end_height"`
	Validators []node.ValidatorInfo `json:"validators"`
	// EndProof is the QC, signed by this epoch's validators, whose
	// two-chain committed the epoch's last block; absent while it runs.
	EndProof    *QCView `json:"end_proof,omitempty"`
	EndProofHex string  `json:"end_proof_hex,omitempty"`
	// Cert is the certificate of the previous epoch's validators over this
	// epoch's set hash and last block: what a light client checks.
	Cert    *EpochCertView `json:"cert,omitempty"`
	SetHash string         `json:"set_hash"`
}

// EpochCertView is an epoch-change certificate.
type EpochCertView struct {
	Epoch      uint64 `json:"epoch"`
	LastHeight uint64 `json:"last_height"`
	LastBlock  string `json:"last_block"`
	SetHash    string `json:"set_hash"`
	Signers    []int  `json:"signers"`
	Hex        string `json:"hex"` // canonical encoding, as signed and stored
}

func (s *Server) epoch(w http.ResponseWriter, r *http.Request) {
	e, err := strconv.ParseUint(r.PathValue("n"), 10, 64)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_epoch", "epoch must be a non-negative integer")
		return
	}
	info, err := s.n.EpochInfo(e)
	if !s.ok(w, err) {
		return
	}
	v := EpochView{Epoch: e, Root: info.Root.String(), LastHeight: info.Epoch.LastHeight, EndHeight: info.Epoch.EndHeight, Validators: info.Validators}
	if !info.Epoch.LastBlock.IsZero() {
		v.LastBlock = info.Epoch.LastBlock.String()
	}
	v.SetHash = info.Epoch.SetHash().String()
	if c := info.Cert; c != nil {
		v.Cert = &EpochCertView{Epoch: c.Change.Epoch, LastHeight: c.Change.LastHeight, LastBlock: c.Change.LastBlock.String(),
			SetHash: c.Change.SetHash.String(), Signers: c.Signers.Indices(), Hex: hex.EncodeToString(types.EncodeEpochCert(c))}
	}
	if info.EndProof != nil {
		v.EndProof = qcView(info.EndProof)
		v.EndProofHex = hex.EncodeToString(types.EncodeQC(info.EndProof))
	}
	writeJSON(w, http.StatusOK, v)
}

// AccountView is GET /accounts/{addr}.
type AccountView struct {
	Address      string           `json:"address"`
	Nonce        uint64           `json:"nonce"`         // the next nonce in committed state
	PendingNonce uint64           `json:"pending_nonce"` // the next nonce to use: past the transactions this node's mempool holds
	Balance      uint64           `json:"balance"`
	Delegations  []DelegationView `json:"delegations"`
	Unbonding    []UnbondingView  `json:"unbonding"`
	Validator    *CandidateView   `json:"validator,omitempty"` // set when the address operates one
}

// DelegationView is one delegation; tokens is what its shares are worth.
type DelegationView struct {
	Validator string `json:"validator"`
	Shares    uint64 `json:"shares"`
	Tokens    uint64 `json:"tokens"`
}

// UnbondingView is stake on its way out, slashable until it completes,
// or until locked_until if that is later: a verdict its validator signed
// while the stake was unbonding may still be overturned.
type UnbondingView struct {
	Validator      string `json:"validator"`
	Amount         uint64 `json:"amount"`
	CompleteHeight uint64 `json:"complete_height"`
	LockedUntil    uint64 `json:"locked_until,omitempty"`
}

// CandidateView is a registered validator, active or not.
type CandidateView struct {
	Operator      string `json:"operator"`
	NodeID        string `json:"node_id"`
	BLSKey        string `json:"bls_key"`
	Name          string `json:"name"`
	NetAddr       string `json:"net_addr,omitempty"`
	CommissionBps uint32 `json:"commission_bps"`
	Tokens        uint64 `json:"tokens"`
	Shares        uint64 `json:"shares"`
	Jailed        bool   `json:"jailed"`
	JailedUntil   uint64 `json:"jailed_until_epoch,omitempty"`
	// SlashableUntil: until this height the stake unbonding from the
	// validator cannot be withdrawn, since a verdict it signed may still
	// be overturned.
	SlashableUntil uint64 `json:"slashable_until,omitempty"`
}

func candidateView(v staking.Validator) CandidateView {
	return CandidateView{Operator: v.Operator.String(), NodeID: hex.EncodeToString(v.NodeID[:]), BLSKey: hex.EncodeToString(v.BLSKey),
		Name: v.Name, NetAddr: v.NetAddr, CommissionBps: v.CommissionBps, Tokens: v.Tokens, Shares: v.Shares, Jailed: v.Jailed, JailedUntil: v.JailedUntil,
		SlashableUntil: v.SlashableUntil}
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	raw, err := hex.DecodeString(r.PathValue("addr"))
	var a staking.Address
	if err != nil || len(raw) != len(a) {
		writeError(w, http.StatusBadRequest, "bad_address", "address must be the 64-digit hex of an ed25519 public key")
		return
	}
	copy(a[:], raw)
	acc, dels, unb, val := s.n.Account(a)
	v := AccountView{Address: a.String(), Nonce: acc.Nonce, PendingNonce: s.n.PendingNonce(a, acc.Nonce), Balance: acc.Balance,
		Delegations: []DelegationView{}, Unbonding: []UnbondingView{}}
	for _, d := range dels {
		v.Delegations = append(v.Delegations, DelegationView{Validator: d.Validator.String(), Shares: d.Shares, Tokens: d.Tokens})
	}
	for _, u := range unb {
		v.Unbonding = append(v.Unbonding, UnbondingView{Validator: u.Validator.String(), Amount: u.Amount, CompleteHeight: u.CompleteHeight, LockedUntil: u.LockedUntil})
	}
	if val != nil {
		cv := candidateView(*val)
		v.Validator = &cv
	}
	writeJSON(w, http.StatusOK, v)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// candidates serves GET /staking/validators: every registered validator.
func (s *Server) candidates(w http.ResponseWriter, _ *http.Request) {
	out := []CandidateView{}
	for _, v := range s.n.Candidates() {
		out = append(out, candidateView(v))
	}
	writeJSON(w, http.StatusOK, map[string]any{"validators": out, "params": s.n.StakingParams()})
}

// evidence serves GET /evidence: the double signs punished on-chain.
func (s *Server) evidence(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"offenses": nonNil(s.n.Offenses())})
}
