package state_test

import (
	"bytes"
	"testing"

	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/types"
)

// Epoch-signature bodies come from any transaction sender.
func FuzzDecodeEpochSig(f *testing.F) {
	f.Add(state.EpochSig{Epoch: 3, Signer: 1, Sig: bytes.Repeat([]byte{7}, types.MaxSignatureSize)}.Encode())
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := state.DecodeEpochSig(b)
		if err != nil {
			return
		}
		if !bytes.Equal(s.Encode(), b) {
			t.Fatal("decode then encode changed the bytes")
		}
	})
}
