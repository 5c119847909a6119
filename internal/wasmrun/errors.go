package wasmrun

import "errors"

// Sentinel errors. Each names one deterministic outcome, so a caller can
// turn it into a verdict that every member reaches alike; the wrapped text
// after the sentinel is for people and may differ between machines.
var (
	// ErrModuleTooLarge: the module is over Limits.MaxModule bytes.
	ErrModuleTooLarge = errors.New("wasmrun: module too large")
	// ErrMalformed: the bytes are not a valid WebAssembly module (our
	// parser or wazero's validator rejected them).
	ErrMalformed = errors.New("wasmrun: malformed module")
	// ErrUnsupportedFeature: the module uses a proposal the sandbox does
	// not meter (SIMD, threads, exceptions, tail calls, GC, ...).
	ErrUnsupportedFeature = errors.New("wasmrun: unsupported WebAssembly feature")
	// ErrImports: the module imports something. The ABI allows no imports
	// at all, so no host function can leak machine-local state.
	ErrImports = errors.New("wasmrun: module has imports; the sandbox provides none")
	// ErrABI: the module does not follow the ABI described in doc.go
	// (missing or mistyped exports, a start function, a reserved name).
	ErrABI = errors.New("wasmrun: module does not follow the agent ABI")
	// ErrLimit: the module declares more memory than Limits.MemoryPages
	// or a table larger than MaxTableElements, or its input is larger
	// than its memory limit.
	ErrLimit = errors.New("wasmrun: module exceeds a declared-size limit")
	// ErrFuelExhausted: the run used all of Limits.Fuel.
	ErrFuelExhausted = errors.New("wasmrun: fuel exhausted")
	// ErrStackExhausted: calls nested deeper than the metered stack allows.
	ErrStackExhausted = errors.New("wasmrun: call stack exhausted")
	// ErrTrap: the module trapped (unreachable, out-of-bounds access,
	// division by zero, ...) or returned an output outside its memory.
	ErrTrap = errors.New("wasmrun: module trapped")
	// ErrOutputTooLarge: run returned more than Limits.MaxOutput bytes.
	ErrOutputTooLarge = errors.New("wasmrun: output too large")
	// ErrTimeout: the wall-clock backstop fired. Unlike every other error
	// here it is NOT deterministic: callers must not turn it into a
	// verdict.
	ErrTimeout = errors.New("wasmrun: wall-clock timeout (not deterministic)")
)
