package sim

import (
	"fmt"
	"testing"
)

// BenchmarkCommitted measures simulated blocks committed per CPU-second and
// the wire cost per committed block as the committee grows, on a calm
// network with no Byzantine validators (the cost of the protocol itself).
// The simulator is single-threaded, so ns/op is CPU time.
func BenchmarkCommitted(b *testing.B) {
	cases := []struct {
		n   int
		bls bool
	}{{4, false}, {16, false}, {64, false}, {128, false}, {4, true}, {64, true}}
	for _, c := range cases {
		n := c.n
		name := fmt.Sprintf("n=%d/simsig", n)
		if c.bls {
			name = fmt.Sprintf("n=%d/bls", n)
		}
		b.Run(name, func(b *testing.B) {
			var blocks, msgs, bytes uint64
			seed := uint64(1)
			for b.Loop() {
				r := Run(Config{Seed: seed, Validators: n, Rounds: 30, RealBLS: c.bls})
				if r.Failed() {
					b.Fatalf("%v", r.Violations)
				}
				blocks += r.Height
				msgs += r.Messages
				bytes += r.Bytes
				seed++
			}
			b.ReportMetric(float64(blocks)/b.Elapsed().Seconds(), "blocks/cpu-s")
			b.ReportMetric(float64(msgs)/float64(blocks), "msgs/block")
			b.ReportMetric(float64(bytes)/float64(blocks), "bytes/block")
		})
	}
}
