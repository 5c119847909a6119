package types_test

import (
	"bytes"
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

// The fuzz targets check two properties of every decoder: it never panics,
// and whatever it accepts re-encodes to exactly the input, so each value has
// one encoding and hashes and signatures over encodings are well defined.

func FuzzDecodeMessage(f *testing.F) {
	for _, seed := range []uint64{1, 2} {
		for _, c := range sampleMessages(seed) {
			f.Add(types.EncodeMessage(c.msg))
		}
	}
	f.Add([]byte{})
	f.Add([]byte{types.Version, byte(types.KindBlockResponse), 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := types.DecodeMessage(data)
		if err != nil {
			return
		}
		if m == nil {
			t.Fatal("nil message without error")
		}
		// Encode from the fields, not from the bytes decoded blocks keep:
		// keeping them is sound only because decoding is strict.
		for _, b := range blocksOf(m) {
			types.ForgetEncoding(b)
		}
		if enc := types.EncodeMessage(m); !bytes.Equal(enc, data) {
			t.Fatalf("accepted a non-canonical %v encoding:\nin  %x\nout %x", m.Kind(), data, enc)
		}
		checkBlocks(t, blocksOf(m))
	})
}

func FuzzDecodeBlock(f *testing.F) {
	for _, seed := range []uint64{1, 2} {
		for _, b := range sampleBlocks(seed) {
			f.Add(b.Encode())
		}
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := types.DecodeBlock(data)
		if err != nil {
			return
		}
		if kept := b.Encode(); !bytes.Equal(kept, data) {
			t.Fatalf("kept encoding differs from the input:\nin  %x\nout %x", data, kept)
		}
		types.ForgetEncoding(b)
		if enc := b.Encode(); !bytes.Equal(enc, data) {
			t.Fatalf("accepted a non-canonical block encoding:\nin  %x\nout %x", data, enc)
		}
		checkBlocks(t, []*types.Block{b})
	})
}

func FuzzDecodeTx(f *testing.F) {
	g := newGen(1)
	for i := 0; i < 4; i++ {
		f.Add(g.tx().Encode())
	}
	f.Add((&types.Tx{Sender: make([]byte, 32), Sig: make([]byte, 64)}).Encode())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		tx, err := types.DecodeTx(data)
		if err != nil {
			return
		}
		if enc := tx.Encode(); !bytes.Equal(enc, data) {
			t.Fatalf("accepted a non-canonical tx encoding:\nin  %x\nout %x", data, enc)
		}
		_ = tx.VerifySig() // must not panic on any accepted tx
	})
}

func blocksOf(m types.Message) []*types.Block {
	switch m := m.(type) {
	case *types.Proposal:
		return []*types.Block{m.Block}
	case *types.BlockResponse:
		return m.Blocks
	}
	return nil
}

// checkBlocks asserts what decoding promises about an accepted block: its id
// is the one the constructor computes, and its header is well shaped.
func checkBlocks(t *testing.T, blocks []*types.Block) {
	t.Helper()
	for _, b := range blocks {
		if b == nil {
			t.Fatal("nil block without error")
		}
		if b.QC == nil {
			if b.Round != 0 || b.Height != 0 {
				t.Fatalf("block round %d height %d without qc", b.Round, b.Height)
			}
			continue
		}
		if b.QC.BlockID != b.Parent || b.QC.Round >= b.Round || b.QC.Epoch != b.Epoch || b.Height == 0 {
			t.Fatalf("ill-shaped block accepted: %+v qc %+v", b, b.QC)
		}
		if id := types.NewBlockWithState(b.Epoch, b.Round, b.Height, b.QC, b.Proposer, b.State, b.Txs).ID(); id != b.ID() {
			t.Fatalf("decoded id %s, constructor id %s", b.ID().Short(), id.Short())
		}
	}
}

func FuzzDecodeHeader(f *testing.F) {
	for _, seed := range []uint64{1, 2} {
		for _, b := range sampleBlocks(seed) {
			f.Add(types.EncodeHeader(b.Header()))
		}
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := types.DecodeHeader(data)
		if err != nil {
			return
		}
		if enc := types.EncodeHeader(h); !bytes.Equal(enc, data) {
			t.Fatalf("accepted a non-canonical header:\nin  %x\nout %x", data, enc)
		}
	})
}
