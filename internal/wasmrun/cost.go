package wasmrun

// The cost model (doc.go explains it; changing anything here changes
// verdicts, so it is part of the protocol).
const (
	// frameBase is the stack units every call costs on top of its
	// parameters, locals and instruction count.
	frameBase = 64
	// stackLimit is the metered call-stack size in units (≈ 8 bytes of
	// engine stack each, far below wazero's own 400 MB ceiling, so the
	// engine's non-portable overflow check never fires first).
	stackLimit = 1 << 23
	// maxLocals bounds the locals of one function, as web engines do.
	maxLocals = 50_000
	// maxModuleLocals and maxFunctions bound the whole module: the
	// engine's compiler allocates for every local (about 8 bytes) and
	// every function (about 700 bytes) whatever the fuel, so one 80 KB
	// module of functions declaring 50,000 locals each took 4 GB.
	maxModuleLocals = 1 << 21
	maxFunctions    = 100_000
	// maxCodeBytes bounds the instrumented code section. The compiler
	// takes about 70 bytes of memory per byte of code whatever the fuel,
	// and its compile ignores the run's deadline: an 8 MiB module of
	// NaN-canonicalised float instructions (one byte each, seven once
	// instrumented) would have taken some 6 GB and half a minute. 4 MiB
	// of instrumented code is about 300 MB, and fits modules of 2-3 MB.
	maxCodeBytes = 4 << 20
	// bulkMemoryShift: memory.copy/fill/init cost 1 unit per 2^shift bytes.
	bulkMemoryShift = 3
	// yieldUnits is how much fuel runs between two calls of slowPath:
	// the longest the process's garbage collector may wait on a run
	// (~40 µs of ordinary code, ~10 ms of the worst cache-missing code).
	yieldUnits = 1 << 16
	// hostCallCost is charged for memory.grow and table.grow, which leave
	// compiled code for the runtime.
	hostCallCost = 64
)

// weight is the static cost of one instruction.
func weight(in instr) int64 {
	switch {
	case in.op == opMemoryGrow, in.op == opPrefixFC && in.sub == fcTableGrow:
		return hostCallCost
	}
	return 1
}

// dynamicShift reports whether the instruction also costs its length
// operand (the i32 on top of the stack) shifted right by the result.
func dynamicShift(in instr) (uint8, bool) {
	if in.op != opPrefixFC {
		return 0, false
	}
	switch in.sub {
	case fcMemoryInit, fcMemoryCopy, fcMemoryFill:
		return bulkMemoryShift, true
	case fcTableInit, fcTableCopy, fcTableFill, fcTableGrow:
		return 0, true
	}
	return 0, false
}

// nanKind reports whether op may produce a NaN whose bit pattern the
// spec leaves to the CPU, and which float width it produces (32 or 64).
func nanKind(op byte) int {
	switch {
	case op >= 0x8d && op <= 0x97, op == 0xb6: // f32 ceil..max, f32.demote_f64
		return 32
	case op >= 0x9b && op <= 0xa5, op == 0xbb: // f64 ceil..max, f64.promote_f32
		return 64
	}
	return 0
}
