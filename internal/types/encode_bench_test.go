package types_test

import (
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

// BenchmarkEncodeFullProposal encodes a proposal at the default block
// cap (5,000 transactions of about 250 bytes), as a leader does once per
// round and a node serving block sync does per block.
func BenchmarkEncodeFullProposal(b *testing.B) {
	txs := make([]*types.Tx, 5000)
	for i := range txs {
		txs[i] = &types.Tx{ChainID: "bench", Sender: make([]byte, 32), Nonce: uint64(i), Body: make([]byte, 130), Sig: make([]byte, 64)}
	}
	blk := types.NewBlock(1, 10, 9, types.GenesisQC(1, types.HashOf([]byte("parent"))), 0, txs)
	p := &types.Proposal{Block: blk, Sig: make([]byte, types.MaxSignatureSize)}
	b.ReportAllocs()
	for b.Loop() {
		if n := len(types.EncodeMessage(p)); n < 5000*240 {
			b.Fatalf("encoding of %d bytes is short", n)
		}
	}
}

// BenchmarkTxSigningBytes builds what a ~250-byte transaction's signature
// covers, as every signature check does.
func BenchmarkTxSigningBytes(b *testing.B) {
	tx := &types.Tx{ChainID: "lazchain-bench", Sender: make([]byte, 32), Nonce: 7, Body: make([]byte, 120), Sig: make([]byte, 64)}
	b.ReportAllocs()
	for b.Loop() {
		_ = tx.SigningBytes()
	}
}
