package smt

import (
	"syscall"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/types"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkZZCPUUpdate(b *testing.B) {
	tr, kvs := bench1M()
	batches := make([][]KV, 16)
	g := newGen(2)
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
	b.ResetTimer()
	c0 := cpuNow()
	i := 0
	for b.Loop() {
		tr.Update(batches[i%len(batches)])
		i++
	}
	b.ReportMetric(float64(cpuNow()-c0)/float64(i), "cpu-ns/op")
}

func BenchmarkZZGet2000(b *testing.B) {
	tr, kvs := bench1M()
	g := newGen(3)
	khs := make([][32]byte, 2000)
	for i := range khs {
		khs[i] = KeyHash(kvs[g.r.IntN(len(kvs))].Key)
	}
	for b.Loop() {
		for _, kh := range khs {
			tr.getHashed(kh)
		}
	}
}

func BenchmarkZZHash24k(b *testing.B) {
	var x, y [32]byte
	for b.Loop() {
		for range 24000 {
			x = hashPair(1, (*types.Hash)(&x), (*types.Hash)(&y))
		}
	}
}
