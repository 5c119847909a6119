package types

import (
	"crypto/ed25519"
	"crypto/rand"
	"runtime"
	"sync"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// verifyOpts is the one ed25519 verification rule for transactions:
// cofactored, as batch verification requires, and identical for single
// checks, so every node accepts exactly the same signatures.
var verifyOpts = &voi.Options{Verify: voi.VerifyOptionsDefault}

// batchSize is where batch verification's per-signature cost flattens out.
const batchSize = 64

// VerifyTxs checks many signatures, in batches of 64 spread over all CPUs:
// a batch costs about a third of checking its signatures one by one. ok[i]
// reports whether txs[i] is validly signed.
func VerifyTxs(txs []*Tx) []bool {
	ok := make([]bool, len(txs))
	workers := min(runtime.GOMAXPROCS(0), (len(txs)+batchSize-1)/batchSize)
	if workers <= 1 {
		verifyBatch(txs, ok)
		return ok
	}
	var wg sync.WaitGroup
	next := make(chan int, (len(txs)+batchSize-1)/batchSize)
	for lo := 0; lo < len(txs); lo += batchSize {
		next <- lo
	}
	close(next)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := range next {
				hi := min(lo+batchSize, len(txs))
				verifyBatch(txs[lo:hi], ok[lo:hi])
			}
		}()
	}
	wg.Wait()
	return ok
}

func verifyBatch(txs []*Tx, ok []bool) {
	bv := voi.NewBatchVerifierWithCapacity(len(txs))
	idx := make([]int, 0, len(txs))
	for i, tx := range txs {
		if len(tx.Sender) != ed25519.PublicKeySize || len(tx.Sig) != ed25519.SignatureSize {
			continue
		}
		epk := expandedKey(tx.Sender)
		if epk == nil {
			continue // not a point on the curve: no signature can verify
		}
		bv.AddExpandedWithOptions(epk, tx.SigningBytes(), tx.Sig, verifyOpts)
		idx = append(idx, i)
	}
	if len(idx) == 0 {
		return
	}
	// On failure Verify falls back to finding which entries are bad.
	_, valid := bv.Verify(rand.Reader)
	for j, i := range idx {
		ok[i] = valid[j]
	}
}

// keyCache keeps decompressed sender keys: decompression is about a third
// of a signature check, and senders repeat. It is dropped whole when full,
// which bounds memory without bookkeeping.
var keyCache = struct {
	sync.Mutex
	m map[[32]byte]*voi.ExpandedPublicKey
}{m: map[[32]byte]*voi.ExpandedPublicKey{}}

const keyCacheMax = 1 << 17

func expandedKey(pub []byte) *voi.ExpandedPublicKey {
	var k [32]byte
	copy(k[:], pub)
	keyCache.Lock()
	epk := keyCache.m[k]
	keyCache.Unlock()
	if epk != nil {
		return epk
	}
	epk, err := voi.NewExpandedPublicKey(voi.PublicKey(pub))
	if err != nil {
		return nil
	}
	keyCache.Lock()
	if len(keyCache.m) >= keyCacheMax {
		clear(keyCache.m)
	}
	keyCache.m[k] = epk
	keyCache.Unlock()
	return epk
}
