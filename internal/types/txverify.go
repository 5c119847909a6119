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

// maxChunk bounds one batch: a batch with a bad signature is searched by
// halves, which costs about three times the batch.
const maxChunk = 512

// VerifyTxs checks many signatures in batches spread over all CPUs: a
// batch of 64 costs about a third of checking its signatures one by one,
// and larger ones less still. ok[i] reports whether txs[i] is validly
// signed.
func VerifyTxs(txs []*Tx) []bool {
	return VerifyTxsOn(txs, runtime.GOMAXPROCS(0))
}

// VerifyTxsOn is VerifyTxs on at most workers goroutines at once (at
// least one).
func VerifyTxsOn(txs []*Tx, workers int) []bool {
	ok := make([]bool, len(txs))
	workers = max(1, workers)
	// One chunk per worker, up to maxChunk: 1,024 signatures in two chunks
	// of 512 take 11-13 µs each here, in sixteen chunks of 64 14-17 µs
	// (go test ./internal/types -bench VerifyTxs).
	chunk := min(maxChunk, max(batchSize, (len(txs)+workers-1)/workers))
	workers = min(workers, (len(txs)+chunk-1)/chunk)
	// Even one worker checks in chunks: one forged signature costs about
	// three times its chunk to find, not three times the whole request.
	next := make(chan int, (len(txs)+chunk-1)/chunk)
	for lo := 0; lo < len(txs); lo += chunk {
		next <- lo
	}
	close(next)
	drain := func() {
		for lo := range next {
			hi := min(lo+chunk, len(txs))
			verifyBatch(txs[lo:hi], ok[lo:hi])
		}
	}
	if workers <= 1 {
		drain()
		return ok
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(drain)
	}
	wg.Wait()
	return ok
}

func verifyBatch(txs []*Tx, ok []bool) {
	if len(txs) <= loneMax {
		for i, tx := range txs {
			ok[i] = verifyOne(tx)
		}
		return
	}
	bv, idx := newBatch(txs)
	if len(idx) == 0 {
		return
	}
	if len(txs) <= batchSize {
		// On failure Verify falls back to checking each entry alone.
		_, valid := bv.Verify(rand.Reader)
		for j, i := range idx {
			ok[i] = valid[j]
		}
		return
	}
	if bv.VerifyBatchOnly(rand.Reader) {
		for _, i := range idx {
			ok[i] = true
		}
		return
	}
	// Some signature is bad: find it by halves, down to batches of 64, so
	// one forged signature among 512 (a client's, merged with others' by
	// the batcher) costs about three times the batch, not 511 checks alone.
	mid := len(txs) / 2
	verifyBatch(txs[:mid], ok[:mid])
	verifyBatch(txs[mid:], ok[mid:])
}

// loneMax is the largest check done signature by signature. A batch
// verifier's fixed cost makes a batch of one cost 42-50 µs where a single
// check with the cached expanded key costs 28-32 µs; at two they are
// even, and from three on the batch wins (BenchmarkVerifyTxs, -cpu 1).
const loneMax = 1

// verifyOne checks one signature with the same rules as the batch
// verifier (cofactored, as its fallback checks each entry).
func verifyOne(tx *Tx) bool {
	epk := senderKey(tx)
	return epk != nil && voi.VerifyExpandedWithOptions(epk, tx.SigningBytes(), tx.Sig, verifyOpts)
}

// senderKey is tx's expanded sender key, or nil when the transaction
// cannot carry a valid signature: a sender or signature of the wrong
// size, or a sender that is not a point on the curve.
func senderKey(tx *Tx) *voi.ExpandedPublicKey {
	if len(tx.Sender) != ed25519.PublicKeySize || len(tx.Sig) != ed25519.SignatureSize {
		return nil
	}
	return expandedKey(tx.Sender)
}

// newBatch adds every well-formed signature of txs to a batch verifier,
// returning it and the positions it holds.
func newBatch(txs []*Tx) (*voi.BatchVerifier, []int) {
	bv := voi.NewBatchVerifierWithCapacity(len(txs))
	idx := make([]int, 0, len(txs))
	for i, tx := range txs {
		epk := senderKey(tx)
		if epk == nil {
			continue // no signature can verify
		}
		bv.AddExpandedWithOptions(epk, tx.SigningBytes(), tx.Sig, verifyOpts)
		idx = append(idx, i)
	}
	return bv, idx
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
