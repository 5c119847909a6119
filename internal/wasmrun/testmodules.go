package wasmrun

// Fixtures for tests elsewhere (the verifier, cluster tests, the devnet
// sample), assembled by hand so no toolchain is needed. Their bytes are
// stable: fixtures built from them may be compared byte for byte.

// EchoModule returns a module whose output is its input.
func EchoModule() []byte {
	return abiModule(nil, packResult(0, 1)).bytes()
}

// SumModule returns a module whose output is the sum of its input bytes,
// as a little-endian uint64 (8 bytes). It loops once per input byte, so
// its fuel grows linearly with the input.
func SumModule() []byte {
	// locals: 2 = i (i32), 3 = acc (i64)
	code := cat(
		[]byte{opBlock, blockTypeEmpty, opLoop, blockTypeEmpty},
		[]byte{opLocalGet, 2, opLocalGet, 1, 0x4f, 0x0d, 1},                   // br_if 1 (i >= len)
		[]byte{opLocalGet, 3, opLocalGet, 0, opLocalGet, 2, 0x6a, 0x31, 0, 0}, // acc, load8_u(ptr+i)
		[]byte{opI64Add, 0x21, 3},                                             // acc += byte
		[]byte{opLocalGet, 2, 0x41, 1, 0x6a, 0x21, 2, 0x0c, 0},                // i++; br 0
		[]byte{opEnd, opEnd},
		[]byte{0x41, 0, opLocalGet, 3, 0x37, 3, 0}, // i64.store at 0
		i64Const(8), // output: ptr 0, len 8
	)
	return abiModule([]byte{i32, i64}, code).bytes()
}

// LoopForeverModule returns a module whose run never returns: it spins in
// `loop br 0 end` until its fuel runs out.
func LoopForeverModule() []byte {
	code := cat([]byte{opLoop, blockTypeEmpty, 0x0c, 0, opEnd}, i64Const(0))
	return abiModule(nil, code).bytes()
}
