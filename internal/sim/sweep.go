package sim

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Sweep runs cfgs on up to workers goroutines (0 means one per CPU) and
// returns the results in cfgs order. Each run is single-threaded and
// deterministic; running several at once changes nothing but wall time.
func Sweep(cfgs []Config, workers int) []Result {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	out := make([]Result, len(cfgs))
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i] = Run(cfgs[i])
			}
		}()
	}
	for i := range cfgs {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

// Summary aggregates a sweep.
type Summary struct {
	Seeds, Failed, SafetyViolations, LivenessFailures int
	Blocks, Messages, Bytes, Malformed, Dropped       uint64
	MaxRecovery                                       uint64
	sumRecovery                                       uint64
	Wall                                              time.Duration
	Failures                                          []Result
}

// Summarize folds results into a Summary.
func Summarize(results []Result, wall time.Duration) Summary {
	s := Summary{Seeds: len(results), Wall: wall}
	for _, r := range results {
		s.Blocks += r.Height
		s.Messages += r.Messages
		s.Bytes += r.Bytes
		s.Malformed += r.Malformed
		s.Dropped += r.Dropped
		if r.Failed() {
			s.Failed++
			s.Failures = append(s.Failures, r)
			for _, v := range r.Violations {
				switch {
				case strings.Contains(v, "SAFETY"):
					s.SafetyViolations++
				case strings.Contains(v, "LIVENESS"):
					s.LivenessFailures++
				}
			}
			continue
		}
		s.sumRecovery += r.RecoveryRounds
		s.MaxRecovery = max(s.MaxRecovery, r.RecoveryRounds)
	}
	return s
}

// Print writes the summary and, for each failure, its violations and the
// command that replays it.
func (s Summary) Print(w io.Writer) {
	passed := s.Seeds - s.Failed
	fmt.Fprintf(w, "seeds: %d  passed: %d  failed: %d\n", s.Seeds, passed, s.Failed)
	fmt.Fprintf(w, "safety violations: %d\nliveness failures: %d\n", s.SafetyViolations, s.LivenessFailures)
	if passed > 0 {
		fmt.Fprintf(w, "liveness: after the heal, honest validators committed again within %.1f rounds on average, %d at worst\n",
			float64(s.sumRecovery)/float64(passed), s.MaxRecovery)
	}
	if s.Blocks > 0 {
		fmt.Fprintf(w, "committed blocks: %d  messages/block: %.1f  bytes/block: %.0f\n",
			s.Blocks, float64(s.Messages)/float64(s.Blocks), float64(s.Bytes)/float64(s.Blocks))
	}
	fmt.Fprintf(w, "rejected messages: %d (undecodable: %d)\nwall time: %s\n", s.Dropped, s.Malformed, s.Wall.Round(time.Millisecond))
	for i, f := range s.Failures {
		if i == 10 {
			fmt.Fprintf(w, "... and %d more failures\n", len(s.Failures)-10)
			break
		}
		fmt.Fprintf(w, "\nFAIL seed %d:\n", f.Config.Seed)
		for _, v := range f.Violations {
			fmt.Fprintf(w, "  %s\n", v)
		}
		fmt.Fprintf(w, "  replay: %s\n", f.Config.ReplayCommand())
	}
}
