package types_test

import (
	"bytes"
	"crypto/ed25519"
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

// A clone equals its original, keeps its id, and shares no memory with
// the buffer the original was decoded from.
func TestCloneDetaches(t *testing.T) {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	orig := &types.Tx{ChainID: "c", Nonce: 3, Kind: 1, Body: []byte("body")}
	orig.Sign(key)
	frame := types.EncodeTxBatch([]*types.Tx{orig, orig})
	txs, err := types.DecodeTxBatch(frame)
	if err != nil {
		t.Fatal(err)
	}
	c := txs[0].Clone()
	if !bytes.Equal(c.Encode(), orig.Encode()) || c.Hash() != orig.Hash() {
		t.Fatal("clone differs from the original")
	}
	for i := range frame {
		frame[i] = 0xff
	}
	if !bytes.Equal(c.Encode(), orig.Encode()) || c.VerifySig() != nil {
		t.Fatal("clone changed with the buffer it was decoded from")
	}
	if cap(c.Sig) != len(c.Sig) || cap(c.Body) != len(c.Body) {
		t.Fatalf("clone's slices have spare capacity: body %d/%d, sig %d/%d", len(c.Body), cap(c.Body), len(c.Sig), cap(c.Sig))
	}
}
