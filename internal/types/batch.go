package types

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
)

// MaxBatchTxs bounds one gossiped or submitted batch of transactions.
const MaxBatchTxs = 20000

// EncodeTxBatch encodes transactions for gossip or bulk submission.
func EncodeTxBatch(txs []*Tx) []byte {
	n := 5
	for _, tx := range txs {
		n += tx.EncodedSize()
	}
	w := codec.NewWriter(n)
	w.U8(Version)
	w.U32(uint32(len(txs)))
	for _, tx := range txs {
		tx.encode(w)
	}
	return w.Bytes()
}

// DecodeTxBatch parses a batch; every transaction obeys MaxTxBytes.
func DecodeTxBatch(b []byte) ([]*Tx, error) {
	r := codec.NewReader(b)
	r.Version(Version)
	n := r.Count(MaxBatchTxs, minTxSize)
	txs := make([]*Tx, 0, n)
	for i := 0; i < n && r.Err() == nil; i++ {
		txs = append(txs, decodeTxBody(r))
	}
	if err := r.Finish(); err != nil {
		return nil, fmt.Errorf("decode tx batch: %w", err)
	}
	return txs, nil
}
