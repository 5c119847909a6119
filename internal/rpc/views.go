package rpc

import (
	"encoding/hex"

	"github.com/lazchain/lazchain/internal/node"
	"github.com/lazchain/lazchain/internal/types"
)

// StatusView is GET /status.
type StatusView struct {
	ChainID        string `json:"chain_id"`
	NodeID         string `json:"node_id"`
	Height         uint64 `json:"height"`
	LatestBlock    string `json:"latest_block_hash"`
	Round          uint64 `json:"round"`
	Epoch          uint64 `json:"epoch"`
	ValidatorIndex int    `json:"validator_index"`
	Peers          int    `json:"peers"`
}

// QCView is a certificate in JSON.
type QCView struct {
	Epoch   uint64 `json:"epoch"`
	Round   uint64 `json:"round"`
	BlockID string `json:"block_id"`
	Signers []int  `json:"signers"`
	Sig     string `json:"signature"`
}

// BlockView is a block in JSON.
type BlockView struct {
	ID       string   `json:"id"`
	Height   uint64   `json:"height"`
	Round    uint64   `json:"round"`
	Epoch    uint64   `json:"epoch"`
	Parent   string   `json:"parent"`
	Proposer uint32   `json:"proposer"`
	QC       *QCView  `json:"qc,omitempty"`
	NumTxs   int      `json:"num_txs"`
	Txs      []string `json:"txs"`
}

// TxView is a transaction in JSON.
type TxView struct {
	Hash    string `json:"hash"`
	Status  string `json:"status"` // committed or pending
	Height  uint64 `json:"height,omitempty"`
	Index   uint32 `json:"index,omitempty"`
	Result  string `json:"result,omitempty"`
	Reason  string `json:"reason,omitempty"` // why a failed transaction failed
	OK      bool   `json:"ok"`
	Sender  string `json:"sender,omitempty"`
	Nonce   uint64 `json:"nonce,omitempty"`
	Kind    uint16 `json:"kind,omitempty"`
	BodyHex string `json:"body,omitempty"`
}

// SubmitView answers POST /txs.
type SubmitView struct {
	Hash   string `json:"hash"`
	Status string `json:"status"` // accepted or committed
	Height uint64 `json:"height,omitempty"`
}

// BatchView answers POST /txs/batch.
type BatchView struct {
	Accepted int         `json:"accepted"`
	Rejected []ErrorView `json:"rejected,omitempty"`
}

// ErrorView is one error; Index is set for batch entries.
type ErrorView struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Index   *int   `json:"index,omitempty"`
}

func qcView(q *types.QC) *QCView {
	if q == nil {
		return nil
	}
	return &QCView{Epoch: q.Epoch, Round: q.Round, BlockID: q.BlockID.String(), Signers: q.Signers.Indices(), Sig: hex.EncodeToString(q.Sig)}
}

func blockView(b *types.Block) BlockView {
	v := BlockView{ID: b.ID().String(), Height: b.Height, Round: b.Round, Epoch: b.Epoch, Parent: b.Parent.String(),
		Proposer: b.Proposer, QC: qcView(b.QC), NumTxs: len(b.Txs), Txs: make([]string, len(b.Txs))}
	for i, tx := range b.Txs {
		v.Txs[i] = tx.Hash().String()
	}
	return v
}

func txView(r *node.TxResult) TxView {
	tx := r.Tx
	return TxView{Hash: tx.Hash().String(), Status: "committed", Height: r.Receipt.Height, Index: r.Receipt.Index,
		Result: r.Receipt.Code.String(), Reason: r.Receipt.Reason, OK: r.Receipt.Code == 0, Sender: hex.EncodeToString(tx.Sender),
		Nonce: tx.Nonce, Kind: tx.Kind, BodyHex: hex.EncodeToString(tx.Body)}
}
