package types_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/types"
)

// minimalTx is the smallest encodable transaction: empty chain id and body.
func minimalTx() *types.Tx {
	return &types.Tx{Sender: make([]byte, 32), Sig: make([]byte, 64)}
}

// rawBatch builds a batch by hand: a version, a claimed count, and the
// bodies (tx encodings without their version byte).
func rawBatch(version byte, count uint32, txs ...*types.Tx) []byte {
	b := binary.BigEndian.AppendUint32([]byte{version}, count)
	for _, tx := range txs {
		b = append(b, tx.Encode()[1:]...)
	}
	return b
}

func repeat(tx *types.Tx, n int) []*types.Tx {
	out := make([]*types.Tx, n)
	for i := range out {
		out[i] = tx
	}
	return out
}

func TestTxBatchRoundTrip(t *testing.T) {
	g := newGen(7)
	cases := map[string][]*types.Tx{
		"empty":      nil,
		"one":        g.txs(1),
		"many":       g.txs(50),
		"minimal":    {minimalTx()},
		"max count":  repeat(minimalTx(), types.MaxBatchTxs),
		"big tx":     {{ChainID: strings.Repeat("c", types.MaxChainIDLen), Sender: make([]byte, 32), Body: make([]byte, types.MaxTxBytes-200), Sig: make([]byte, 64)}},
		"mixed size": append(g.txs(3), minimalTx()),
	}
	for name, txs := range cases {
		t.Run(name, func(t *testing.T) {
			enc := types.EncodeTxBatch(txs)
			got, err := types.DecodeTxBatch(enc)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(got) != len(txs) {
				t.Fatalf("%d txs, want %d", len(got), len(txs))
			}
			for i := range txs {
				if got[i].Hash() != txs[i].Hash() {
					t.Fatalf("tx %d hash %s, want %s", i, got[i].Hash().Short(), txs[i].Hash().Short())
				}
			}
			if again := types.EncodeTxBatch(got); !bytes.Equal(again, enc) {
				t.Fatal("re-encoding differs")
			}
		})
	}
}

func TestTxBatchRejects(t *testing.T) {
	g := newGen(8)
	good := types.EncodeTxBatch(g.txs(3))
	tx := minimalTx()
	oversized := &types.Tx{Sender: make([]byte, 32), Body: make([]byte, types.MaxTxBytes), Sig: make([]byte, 64)}
	longChain := &types.Tx{ChainID: strings.Repeat("c", types.MaxChainIDLen+1), Sender: make([]byte, 32), Sig: make([]byte, 64)}
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty input", nil, codec.ErrShort},
		{"version only", []byte{types.Version}, codec.ErrShort},
		{"short count", []byte{types.Version, 0, 0}, codec.ErrShort},
		{"version 0", append([]byte{0}, good[1:]...), codec.ErrVersion},
		{"version 2", append([]byte{types.Version + 1}, good[1:]...), codec.ErrVersion},
		{"version 255", rawBatch(255, 0), codec.ErrVersion},
		{"count over max", rawBatch(types.Version, types.MaxBatchTxs+1, repeat(tx, types.MaxBatchTxs+1)...), codec.ErrTooLong},
		{"count 2^32-1", rawBatch(types.Version, 1<<32-1, tx), codec.ErrTooLong},
		{"count over bytes", rawBatch(types.Version, 3, tx, tx), codec.ErrShort},
		{"count under txs", rawBatch(types.Version, 1, tx, tx), codec.ErrTrailing},
		{"zero count with a tx", rawBatch(types.Version, 0, tx), codec.ErrTrailing},
		{"trailing byte", append(bytes.Clone(good), 0), codec.ErrTrailing},
		{"trailing tx header", append(bytes.Clone(good), 0, 0, 0, 0), codec.ErrTrailing},
		{"truncated", good[:len(good)-1], codec.ErrShort},
		{"oversized tx", types.EncodeTxBatch([]*types.Tx{tx, oversized}), codec.ErrTooLong},
		{"chain id too long", types.EncodeTxBatch([]*types.Tx{longChain}), codec.ErrTooLong},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			txs, err := types.DecodeTxBatch(c.in)
			if !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
			if txs != nil {
				t.Fatal("txs returned with an error")
			}
		})
	}
}

func FuzzDecodeTxBatch(f *testing.F) {
	g := newGen(9)
	f.Add(types.EncodeTxBatch(nil))
	f.Add(types.EncodeTxBatch(g.txs(1)))
	f.Add(types.EncodeTxBatch(g.txs(3)))
	f.Add(types.EncodeTxBatch([]*types.Tx{minimalTx(), minimalTx()}))
	f.Add(rawBatch(types.Version, 2, minimalTx()))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		txs, err := types.DecodeTxBatch(data)
		if err != nil {
			if txs != nil {
				t.Fatal("txs returned with an error")
			}
			return
		}
		if len(txs) > types.MaxBatchTxs {
			t.Fatalf("accepted %d txs", len(txs))
		}
		if enc := types.EncodeTxBatch(txs); !bytes.Equal(enc, data) {
			t.Fatalf("accepted a non-canonical batch:\nin  %x\nout %x", data, enc)
		}
		for i, tx := range txs {
			enc := tx.Encode()
			if len(enc) > types.MaxTxBytes {
				t.Fatalf("tx %d of %d bytes accepted", i, len(enc))
			}
			// The id cached while decoding is the id of the tx's own encoding.
			if tx.Hash() != types.HashOf(enc) {
				t.Fatalf("tx %d: cached hash differs from its encoding's", i)
			}
			if _, err := types.DecodeTx(enc); err != nil {
				t.Fatalf("tx %d valid in a batch but not alone: %v", i, err)
			}
		}
	})
}
