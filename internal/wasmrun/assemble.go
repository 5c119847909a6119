package wasmrun

// A tiny WebAssembly assembler, enough to build the fixtures in
// testmodules.go and the package tests without a wat2wasm binary.

const (
	i32 = 0x7f
	i64 = 0x7e
	f64 = 0x7c
)

type funcType struct{ params, results []byte }

type function struct {
	typ    uint32
	locals []byte // one value type per local
	code   []byte // instructions, without the final end
}

type export struct {
	name string
	kind byte // 0 function, 2 memory, 3 global
	idx  uint32
}

// wasmModule is the subset of a module the fixtures need.
type wasmModule struct {
	types   []funcType
	imports []string // function imports of type 0, from module "env"
	funcs   []function
	memMin  uint32 // 0: no memory
	exports []export
	raw     map[byte][]byte // extra sections by id (table, global, start, ...)
}

func (m wasmModule) bytes() []byte {
	secs := map[byte][]byte{}
	for id, body := range m.raw {
		secs[id] = body
	}
	vec(secs, secType, len(m.types), func(b []byte, i int) []byte {
		b = appendVec(append(b, 0x60), m.types[i].params)
		return appendVec(b, m.types[i].results)
	})
	vec(secs, secImport, len(m.imports), func(b []byte, i int) []byte {
		b = appendVec(appendVec(b, []byte("env")), []byte(m.imports[i]))
		return append(b, 0x00, 0x00)
	})
	vec(secs, secFunction, len(m.funcs), func(b []byte, i int) []byte {
		return appendU32(b, m.funcs[i].typ)
	})
	if m.memMin > 0 {
		secs[secMemory] = appendU32([]byte{1, 0}, m.memMin)
	}
	vec(secs, secExport, len(m.exports), func(b []byte, i int) []byte {
		e := m.exports[i]
		return appendU32(append(appendVec(b, []byte(e.name)), e.kind), e.idx)
	})
	vec(secs, secCode, len(m.funcs), func(b []byte, i int) []byte {
		return appendVec(b, m.funcs[i].body())
	})
	return joinSections(secs)
}

// vec sets section id to a vector of n entries.
func vec(secs map[byte][]byte, id byte, n int, entry func([]byte, int) []byte) {
	if n == 0 {
		return
	}
	body := appendU32(nil, uint32(n))
	for i := 0; i < n; i++ {
		body = entry(body, i)
	}
	secs[id] = body
}

func (f function) body() []byte {
	b := appendU32(nil, uint32(len(f.locals)))
	for _, t := range f.locals {
		b = append(b, 1, t)
	}
	return append(append(b, f.code...), opEnd)
}

// abiModule builds a module following the ABI: one page of memory,
// alloc returning offset 1024 after growing memory to fit, and run with
// the given locals (after ptr, len) and code.
func abiModule(runLocals, runCode []byte) wasmModule {
	return wasmModule{
		types: []funcType{
			{params: []byte{i32}, results: []byte{i32}},
			{params: []byte{i32, i32}, results: []byte{i64}},
		},
		funcs: []function{
			{typ: 0, locals: []byte{i32}, code: allocCode},
			{typ: 1, locals: runLocals, code: runCode},
		},
		memMin:  1,
		exports: []export{{"memory", 2, 0}, {"alloc", 0, 0}, {"run", 0, 1}},
	}
}

// inputBase is where alloc places the input; [0, inputBase) is scratch
// for outputs.
const inputBase = 1024

// allocCode grows memory to hold inputBase+len bytes, traps if it
// cannot, and returns inputBase.
var allocCode = cat(
	[]byte{opLocalGet, 0}, i32Const(inputBase+PageSize-1), []byte{0x6a, 0x41, 16, 0x76}, // (len+base+page-1)>>16
	[]byte{0x3f, 0x00, 0x6b, opLocalTee, 1, 0x41, 0, 0x4a},                            // - memory.size; tee delta; > 0
	[]byte{opIf, blockTypeEmpty, opLocalGet, 1, opMemoryGrow, 0x00, 0x41, 0x7f, 0x46}, // grow(delta) == -1
	[]byte{opIf, blockTypeEmpty, opUnreachable, opEnd, opEnd},
	i32Const(inputBase),
)

// packResult is the run epilogue for an output at ptr (local p) of len
// (local l): (i64(ptr) << 32) | i64(len).
func packResult(p, l byte) []byte {
	return []byte{opLocalGet, p, opI64ExtendU, opI64Const, 32, 0x86, opLocalGet, l, opI64ExtendU, 0x84}
}

func i32Const(v int32) []byte { return appendS64([]byte{0x41}, int64(v)) }

func i64Const(v int64) []byte { return appendS64([]byte{opI64Const}, v) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}
