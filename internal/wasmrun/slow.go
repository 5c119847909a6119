package wasmrun

import "fmt"

// Compiled WebAssembly cannot be preempted by the Go runtime: a run that
// stayed in native code would stall every stop-the-world pause of the
// whole process (garbage collection included) until it ended, and with
// it the timer meant to stop the run (a deadlock, seen in testing). So
// every yieldUnits of fuel, the metered code calls slowPath, which leaves
// native code for a moment through memory.grow(0) (wazero serves grow in
// Go, a point where the goroutine can be preempted) and reads the stop
// flag. wazero's WithCloseOnContextDone does the same at every loop
// iteration, which costs ~40 ns each; here it costs that per 65536 units.
//
// slowPath, with one i64 local t:
//
//	if fuel < 0 { unreachable }                 ;; exhausted
//	drop(memory.grow(0))                        ;; preemption point
//	if stop { unreachable }                     ;; timeout or cancel
//	t = fuel - yieldUnits; next = t > 0 ? t : 0 ;; next call, or exhaustion
func slowPath(g meter) []byte {
	b := []byte{1, 1, i64} // one local group: one i64
	b = appendU32(append(b, opGlobalGet), g.fuel)
	b = trapIf(append(b, opI64Const, 0, opI64LtS))
	b = append(b, 0x41, 0, opMemoryGrow, 0, 0x1a)
	b = trapIf(appendU32(append(b, opGlobalGet), g.stop))
	b = appendU32(append(b, opGlobalGet), g.fuel)
	b = appendS64(append(b, opI64Const), yieldUnits)
	b = append(b, opI64Sub, opLocalTee, 0, opI64Const, 0, opLocalGet, 0, opI64Const, 0, opI64GtS, opSelect)
	b = appendU32(append(b, opGlobalSet), g.next)
	return append(b, opEnd)
}

// nextYield is the initial value of the next global.
func nextYield(fuel int64) int64 { return max(fuel-yieldUnits, 0) }

// addSlowPath appends slowPath's type, declaration and body after the
// module's own, so no existing type or function index moves; it returns
// the function's index. The module must have a memory for memory.grow.
func addSlowPath(secs map[byte][]byte, ntypes, nfuncs uint32) (uint32, error) {
	if _, n, err := vecReader(secs[secMemory]); err != nil || n == 0 {
		return 0, fmt.Errorf("%w: no memory", ErrABI)
	}
	if err := appendEntry(secs, secType, []byte{0x60, 0, 0}); err != nil {
		return 0, err
	}
	if err := appendEntry(secs, secFunction, appendU32(nil, ntypes)); err != nil {
		return 0, err
	}
	return nfuncs, nil
}

// appendEntry appends one entry to a vector section, creating it if
// absent. The count was validated when the section was parsed.
func appendEntry(secs map[byte][]byte, id byte, entry []byte) error {
	body, ok := secs[id]
	if !ok {
		secs[id] = append([]byte{1}, entry...)
		return nil
	}
	r, n, err := vecReader(body)
	if err != nil {
		return err
	}
	secs[id] = append(append(appendU32(nil, n+1), body[r.off:]...), entry...)
	return nil
}
