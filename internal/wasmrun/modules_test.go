package wasmrun

// Test modules beyond the exported fixtures. Each is the ABI module of
// abiModule with a different run body; see assemble.go for the helpers.

func runModule(locals []byte, code ...[]byte) []byte {
	return abiModule(locals, cat(code...)).bytes()
}

// storeI32Result stores the i32 on the stack at address 0 and outputs it.
var storeI32Result = cat([]byte{0x36, 2, 0}, i64Const(4))

var (
	recursionModule = runModule(nil, []byte{opLocalGet, 0, opLocalGet, 1, opCall, 1})
	divZeroModule   = runModule(nil, i32Const(1), i32Const(0), []byte{0x6d, 0x1a}, i64Const(0))
	outOfBounds     = runModule(nil, i64Const(0x7fff0000<<32|16))
	outputTooLarge  = runModule(nil, i64Const(2<<20))
	// nanModule outputs f64 0/0 then f32 0/0: 12 bytes.
	nanModule = runModule(nil,
		i32Const(0), []byte{opF64Const, 0, 0, 0, 0, 0, 0, 0, 0, opF64Const, 0, 0, 0, 0, 0, 0, 0, 0, 0xa3, 0x39, 3, 0},
		i32Const(8), []byte{opF32Const, 0, 0, 0, 0, opF32Const, 0, 0, 0, 0, 0x95, 0x38, 2, 0},
		i64Const(12))
)

// growModule outputs memory.grow(pages) as 4 little-endian bytes.
func growModule(pages int32) []byte {
	return runModule(nil, i32Const(0), i32Const(pages), []byte{opMemoryGrow, 0}, storeI32Result)
}

// fillModule fills n bytes of memory and outputs nothing.
func fillModule(n int32) []byte {
	return runModule(nil, i32Const(0), i32Const(0), i32Const(n), []byte{opPrefixFC, fcMemoryFill, 0}, i64Const(0))
}

// globalModule has a global of its own (42) that run outputs: the
// appended fuel globals must not move it.
func globalModule() []byte {
	m := abiModule(nil, cat(i32Const(0), []byte{opGlobalGet, 0, 0x37, 3, 0}, i64Const(8)))
	m.raw = map[byte][]byte{secGlobal: {1, i64, 0x00, opI64Const, 42, opEnd}}
	return m.bytes()
}

// tableGrowModule has a funcref table with no maximum and outputs
// table.grow(n); the instrumenter caps the table at MaxTableElements.
func tableGrowModule(n int32) []byte {
	m := abiModule(nil, cat(i32Const(0), []byte{0xd0, 0x70}, i32Const(n), []byte{opPrefixFC, fcTableGrow, 0}, storeI32Result))
	m.raw = map[byte][]byte{secTable: {1, 0x70, 0x00, 0}}
	return m.bytes()
}

// variant edits the echo module's description before assembling it.
func variant(edit func(*wasmModule)) []byte {
	m := abiModule(nil, packResult(0, 1))
	edit(&m)
	return m.bytes()
}

var (
	importModule = variant(func(m *wasmModule) { m.imports = []string{"clock"} })
	startModule  = variant(func(m *wasmModule) { m.raw = map[byte][]byte{secStart: {0}} })
	reservedName = variant(func(m *wasmModule) { m.exports = append(m.exports, export{FuelExport, 0, 0}) })
	noRunExport  = variant(func(m *wasmModule) { m.exports = m.exports[:2] })
	bigMemory    = variant(func(m *wasmModule) { m.memMin = 300 })
)

// opModule is a run body holding one raw instruction sequence, for the
// unsupported-feature cases (it need not validate: decoding fails first).
func opModule(ops ...byte) []byte { return runModule(nil, ops, i64Const(0)) }
