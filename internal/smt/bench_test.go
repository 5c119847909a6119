package smt

import (
	"encoding/binary"
	"sync"
	"testing"
)

// benchKeys returns n distinct keys ("acct/" and a big-endian index) with
// 32-byte values carved from one buffer, so setup allocates little.
func benchKeys(seed uint64, first, n int) []KV {
	g := newGen(seed)
	vals := g.bytes(32*n, 32*n)
	kvs := make([]KV, n)
	for i := range kvs {
		key := binary.BigEndian.AppendUint64([]byte("acct/"), uint64(first+i))
		kvs[i] = KV{Key: key, Value: vals[32*i : 32*i+32 : 32*i+32]}
	}
	return kvs
}

const benchSize = 1_000_000

// bench1M is built once and shared: building it takes seconds.
var bench1M = sync.OnceValues(func() (*Tree, []KV) {
	kvs := benchKeys(1, 0, benchSize)
	tr, err := New().Update(kvs)
	if err != nil {
		panic(err)
	}
	return tr, kvs
})

func BenchmarkBuild1M(b *testing.B) {
	kvs := benchKeys(1, 0, benchSize)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := New().Update(kvs); err != nil {
			b.Fatal(err)
		}
	}
}

// A block's batch: 1,000 rewrites, 800 inserts and 200 deletes, applied to
// the same 1M-key version each time so the size stays fixed.
func BenchmarkUpdate2000Into1M(b *testing.B) {
	tr, kvs := bench1M()
	g := newGen(2)
	batches := make([][]KV, 16)
	for i := range batches {
		batch := benchKeys(uint64(10+i), benchSize+800*i, 800)
		for j := 0; j < 1200; j++ {
			kv := kvs[g.r.IntN(len(kvs))]
			if j < 200 {
				batch = append(batch, KV{Key: kv.Key})
			} else {
				batch = append(batch, KV{Key: kv.Key, Value: g.bytes(32, 32)})
			}
		}
		batches[i] = batch
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := tr.Update(batches[i%len(batches)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// Prove, encode, decode and verify one key of the 1M-key tree.
func BenchmarkProveVerify(b *testing.B) {
	tr, kvs := bench1M()
	root := tr.Root()
	size := 0
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		kv := kvs[(i*7919)%len(kvs)]
		enc := tr.Prove(kv.Key).Encode()
		p, err := DecodeProof(enc)
		if err != nil {
			b.Fatal(err)
		}
		if err := VerifyInclusion(root, kv.Key, kv.Value, p); err != nil {
			b.Fatal(err)
		}
		size += len(enc)
		i++
	}
	b.ReportMetric(float64(size)/float64(i), "proof-bytes")
}
