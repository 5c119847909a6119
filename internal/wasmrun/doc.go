// Package wasmrun re-executes an agent run, a WebAssembly module applied
// to an input, so that every iDAO member computes the same output and
// the same fuel, or fails with the same error. The agent-run verifier
// (internal/verify) hashes that output and compares it with the claim:
// "optimistic re-execution". It owns the sandbox and the metering; it
// never touches the network, the disk or the clock of the run, and it
// keeps no state between runs (each Run gets its own wazero runtime).
//
// # ABI
//
// The module imports nothing: no WASI, no host function, no memory,
// table or global (ErrImports). With nothing to call, the only way in
// or out is its linear memory, so nothing machine-local can leak into
// the output. It exports:
//
//	memory                   its linear memory
//	alloc(len i32) -> i32    a pointer to len writable bytes
//	run(ptr i32, len i32) -> i64
//	                         the output: (outPtr << 32) | outLen
//
// Run calls alloc(len(input)), writes the input there, calls run(ptr,
// len) and copies [outPtr, outPtr+outLen) out. An output longer than
// Limits.MaxOutput is ErrOutputTooLarge; one outside memory is ErrTrap.
// A start function is refused (ErrABI), and so is an export named
// lazchain_fuel, lazchain_stack or lazchain_stop (names the sandbox adds).
// Core WebAssembly 2.0 is accepted except SIMD; threads, exceptions,
// tail calls, GC and other proposals are ErrUnsupportedFeature.
//
// # Fuel: the deterministic limit
//
// Wall time differs between machines, so it cannot decide a verdict.
// Instead Instrument rewrites the module before it is compiled: it
// appends a mutable i64 global, fuel, initialised to Limits.Fuel (after
// the module's own globals, so no index moves), and charges it at the
// start of every metered region:
//
//	global.get fuel; i64.const cost; i64.sub; global.set fuel
//	global.get fuel; global.get next; i64.lt_s
//	if; call slow; end
//
// where next is at most 65536 units below the fuel last seen by slow, a
// function the instrumenter appends: it traps if fuel < 0, and otherwise
// yields (see the timeout below) and sets next again.
//
// A region is a function body, or a loop body, minus the loops nested in
// it. Control only moves forward inside a region (the one backward jump
// in WebAssembly, a branch to a loop, re-enters that loop's region), so
// each of its instructions runs at most once per entry, and charging the
// region's whole cost on entry is an upper bound on what runs. Cost
// model:
//
//   - every instruction of the region, wherever it branches, costs 1
//     (block, if, else and end included; a nested loop's instructions
//     belong to the loop's region);
//   - memory.grow and table.grow cost 64, as they call out of compiled
//     code;
//   - memory.copy, memory.fill and memory.init also cost their length
//     operand / 8, and table.copy, table.fill, table.init and table.grow
//     their length operand, charged just before the instruction runs.
//
// The charge happens before the region runs, so a run is stopped when
// the next region would overdraw: fuel used then counts as all of
// Limits.Fuel (ErrFuelExhausted). The counts are the same on every
// machine, compiler or interpreter. Measured on the development machine
// (BenchmarkFuelRate, wazero's compiler, amd64, 2 shared cores): 0.3 to
// 0.4 ns per unit for a bare loop (2.4e9 to 3e9 units/s), 0.5 to 1.7 ns
// for division, calls, memory growth, bulk fills and square roots. So the
// default 1e9 units take about a second of ordinary code. Fuel bounds
// instructions, not cache misses: a chain of dependent loads that miss
// cache and TLB on every access measured 120 to 160 ns per unit, and such
// a module reaches the 10 s timeout long before its fuel runs out.
//
// # Stack: the deterministic depth limit
//
// Engines overflow their native stack at depths that depend on their own
// frame sizes (wazero: 400 MB of compiler frames, or 2000 interpreter
// frames), which would make deep recursion a matter of platform. So the
// instrumentation also keeps a stack global: each function entry adds 64
// + params + locals + instructions, traps past 2^23 units
// (ErrStackExhausted), and each call site restores the caller's value
// when the callee returns. 2^23 units is about 120,000 small frames and
// stays far below what wazero's compiler would allow. wazero's
// interpreter, which it uses only where it has no compiler (anything but
// amd64 with SSE4.1 or arm64 on Linux, macOS, Windows and the BSDs),
// stops at 2000 frames, so a member there could trap on a recursion that
// the others finish: members must run where wazero compiles.
//
// # Floats
//
// WebAssembly arithmetic is deterministic except for the bit pattern of
// a NaN result, which the spec leaves to the CPU: 0/0 is 0xfff8... on
// amd64 and 0x7ff8... on arm64. Since the verdict hashes the output, a
// module that writes such a NaN to memory would split the members by
// architecture. The instrumenter therefore follows every instruction
// that can produce a NaN (arithmetic, min, max, sqrt, rounding,
// promote, demote) with x == x ? x : canonical-NaN. Bit-level operations
// (abs, neg, copysign, reinterpret, loads, stores) are exact already.
//
// # Other limits
//
// Memory is capped at Limits.MemoryPages: a declared maximum above it is
// lowered to it (growth past it fails with -1, as the module can see), a
// declared minimum above it is ErrLimit. Tables are capped the same way
// at MaxTableElements, since their space is host memory. Every vector
// count in the module is checked against the bytes that follow before
// wazero sees it, because wazero allocates by count. A module over
// Limits.MaxModule bytes is refused before it is parsed. wazero's
// compiler also allocates for every function and every local, and no fuel
// covers compilation: a function may declare 50,000 locals in six bytes,
// and a module of 10,000 of them took 4 GB. So a module has at most
// 100,000 functions and 2^21 locals in all (ErrLimit, before compiling).
//
// The instrumenter appends types, functions, globals and locals after
// the module's own, so an index one past the module's last would name
// one of them once rewritten: every index the module uses is bounded by
// its own counts first (ErrMalformed), or it could refill its fuel.
// FuzzInstrumentCompiles checks that wazero accepts a rewrite exactly
// when it accepts the original.
//
// # Timeout: the backstop, not deterministic
//
// Limits.Timeout ends a run through one more global, stop, which Run
// sets when the context ends and slow reads. The result is ErrTimeout,
// which says nothing about the module: a caller must not turn it into a
// verdict.
//
// Compiled WebAssembly cannot be preempted by the Go runtime, so a run
// that never left native code would hold up every stop-the-world pause
// of the process, garbage collection included, and the timer that sets
// stop with it: a deadlock, which testing hit. slow therefore also calls
// memory.grow(0), which wazero serves in Go, where the goroutine can be
// preempted: the longest a collection waits on a run is 65536 units
// (tens of microseconds of ordinary code). wazero's own
// WithCloseOnContextDone does the same at every loop iteration, which
// costs ~40 ns each and made tight loops a hundred times slower, so it
// is left off.
package wasmrun
