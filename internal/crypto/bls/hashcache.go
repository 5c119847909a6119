package bls

import (
	"sync"

	blst "github.com/supranational/blst/bindings/go"
)

// signedHashes remembers the G1 hashes of the last messages this process
// signed. A validator signs its vote on (round, block) and a moment later
// checks the QC aggregated from everyone's votes on that very message,
// either as the leader forming it or as a follower reading it in the next
// proposal; hashing to the curve is a sizeable part of that check, and with the
// hash kept it is done once. Hashing to the curve is a public function of
// the message, so sharing it across keys and callers leaks nothing.
var signedHashes hashCache

// hashCacheSize covers the rounds whose QCs can still be checked, with
// room for the other messages a validator signs meanwhile (iDAO verdicts,
// rulings) under load.
const hashCacheSize = 64

type hashCache struct {
	mu    sync.Mutex
	index map[string]*blst.P1Affine
	ring  [hashCacheSize]string // insertion order, to evict the oldest
	next  int
}

// get returns msg's hash under the signature DST if it was signed lately.
func (c *hashCache) get(msg []byte) *blst.P1Affine {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.index[string(msg)]
}

func (c *hashCache) put(msg []byte, h *blst.P1Affine) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.index == nil {
		c.index = make(map[string]*blst.P1Affine, hashCacheSize)
	}
	if _, ok := c.index[string(msg)]; ok {
		return
	}
	if old := c.ring[c.next]; c.index[old] != nil {
		delete(c.index, old)
	}
	c.ring[c.next] = string(msg)
	c.index[string(msg)] = h
	c.next = (c.next + 1) % hashCacheSize
}

// negG2 is minus the generator of G2: with it both pairings of a check
// share one Miller loop, e(h, pk)·e(sig, -g2) = 1. blst's Go binding has
// no negation, so it is the generator's encoding with the sign bit flipped.
var negG2 = func() blst.P2Affine {
	enc := blst.P2Generator().ToAffine().Compress()
	enc[0] ^= 0x20
	p := new(blst.P2Affine).Uncompress(enc)
	if p == nil {
		panic("bls: negating the G2 generator")
	}
	return *p
}()

var fp12One = blst.Fp12One()

// verifyHashed checks e(h, pk) == e(sig, g2) for a message already hashed
// to h: the same equation blst checks after hashing the message itself.
// sig must be group-checked and pk a validated key or sum of keys.
func verifyHashed(h *blst.P1Affine, pk *blst.P2Affine, sig *blst.P1Affine) bool {
	// An identity key would accept the identity signature for any message;
	// blst refuses it on its own path, so this one does too.
	if pk.Equals(new(blst.P2Affine)) {
		return false
	}
	gt := blst.Fp12MillerLoopN([]blst.P2Affine{*pk, negG2}, []blst.P1Affine{*h, *sig})
	gt.FinalExp()
	return gt.Equals(&fp12One)
}
