package wasmrun

import (
	"fmt"
	"math"
	"time"
)

// PageSize is the WebAssembly page size in bytes.
const PageSize = 65536

// MaxTableElements bounds every table. Table space is host memory that
// Limits.MemoryPages does not cover, so the instrumenter caps each
// table's maximum here (a table without a maximum gets this one).
const MaxTableElements = 65536

// Limits bounds one run. Fuel, MemoryPages, MaxOutput and MaxModule are
// deterministic: every member reaches the same outcome. Timeout is a
// wall-clock backstop meant to sit far above what Fuel allows.
type Limits struct {
	Fuel        uint64        // metered units, see doc.go for the cost model
	MemoryPages uint32        // linear memory cap, in 64 KiB pages
	Timeout     time.Duration // wall-clock backstop, not deterministic
	MaxOutput   int           // bytes run may return
	MaxModule   int           // bytes of the module before instrumentation
}

// DefaultLimits is what the agent-run verifier uses. Changing it changes
// verdicts, so it is part of the protocol. The fuel/timeout ratio is set
// from measured worst cases (see doc.go): 1e9 units take about a second
// on ordinary code, so 10 s is a backstop rather than a limit.
func DefaultLimits() Limits {
	return Limits{
		Fuel:        1_000_000_000,
		MemoryPages: 256, // 16 MiB
		Timeout:     10 * time.Second,
		MaxOutput:   1 << 20,
		MaxModule:   8 << 20,
	}
}

// MaxInput is the largest input a module can receive: its whole memory.
func (l Limits) MaxInput() int { return int(l.MemoryPages) * PageSize }

func (l Limits) validate() error {
	switch {
	case l.Fuel == 0 || l.Fuel > math.MaxInt64:
		return fmt.Errorf("wasmrun: limits: fuel %d must be in [1, 2^63)", l.Fuel)
	case l.MemoryPages == 0 || l.MemoryPages > 65536:
		return fmt.Errorf("wasmrun: limits: memory pages %d must be in [1, 65536]", l.MemoryPages)
	case l.Timeout <= 0:
		return fmt.Errorf("wasmrun: limits: timeout %v must be positive", l.Timeout)
	case l.MaxOutput < 0 || l.MaxModule <= 8:
		return fmt.Errorf("wasmrun: limits: max output %d / max module %d out of range", l.MaxOutput, l.MaxModule)
	}
	return nil
}
