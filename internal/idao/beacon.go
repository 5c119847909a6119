package idao

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/lazchain/lazchain/internal/types"
)

// BeaconBytes is what a validator signs for rotation r's seed. A BLS
// signature over it is unique per key, so the signer has nothing to grind.
func BeaconBytes(chainID string, r uint64) []byte {
	b := []byte("lazchain/beacon/v1\x00" + chainID + "\x00")
	return binary.BigEndian.AppendUint64(b, r)
}

func genesisSeed(chainID string) types.Hash {
	return sha256.Sum256([]byte("lazchain/beacon/genesis\x00" + chainID))
}

// startAcc is rotation r's seed before any contribution: the previous seed
// chained with r, so a rotation nobody contributes to still gets a fresh,
// if predictable, seed.
func startAcc(prev types.Hash, r uint64) types.Hash {
	h := sha256.New()
	h.Write([]byte("lazchain/beacon/start\x00"))
	h.Write(prev[:])
	h.Write(binary.BigEndian.AppendUint64(nil, r))
	var out types.Hash
	h.Sum(out[:0])
	return out
}

// mix folds one contribution into the accumulator. Every honest
// contribution adds the entropy of a signature nobody else can compute.
func mix(acc types.Hash, sig []byte) types.Hash {
	h := sha256.New()
	h.Write([]byte("lazchain/beacon/mix\x00"))
	h.Write(acc[:])
	h.Write(sig)
	var out types.Hash
	h.Sum(out[:0])
	return out
}
