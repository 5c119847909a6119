package wasmrun

import (
	"context"
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero/api"
)

// session is one instantiated module being driven through the ABI.
type session struct {
	mod api.Module
	lim Limits
}

// call runs alloc, copies input in, runs run and copies the output out.
func (s session) call(ctx, tctx context.Context, input []byte) ([]byte, error) {
	res, err := s.mod.ExportedFunction("alloc").Call(tctx, uint64(len(input)))
	if err != nil {
		return nil, classify(ctx, tctx, s.mod, err)
	}
	ptr := uint32(res[0])
	mem := s.mod.Memory()
	if !mem.Write(ptr, input) {
		return nil, fmt.Errorf("%w: alloc(%d) returned %d, outside memory of %d bytes", ErrTrap, len(input), ptr, mem.Size())
	}
	// Frames left by alloc are gone; run starts from an empty stack.
	s.mod.ExportedGlobal(StackExport).(api.MutableGlobal).Set(0)
	res, err = s.mod.ExportedFunction("run").Call(tctx, uint64(ptr), uint64(len(input)))
	if err != nil {
		return nil, classify(ctx, tctx, s.mod, err)
	}
	outPtr, outLen := uint32(res[0]>>32), uint32(res[0])
	if uint64(outLen) > uint64(s.lim.MaxOutput) {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrOutputTooLarge, outLen, s.lim.MaxOutput)
	}
	view, ok := mem.Read(outPtr, outLen)
	if !ok {
		return nil, fmt.Errorf("%w: output [%d, +%d) outside memory of %d bytes", ErrTrap, outPtr, outLen, mem.Size())
	}
	return append([]byte{}, view...), nil
}

// fuelUsed is what the run consumed: all of it when it ran out. After a
// timeout the count is whatever had been charged, which is not
// deterministic.
func (s session) fuelUsed(err error) uint64 {
	if errors.Is(err, ErrFuelExhausted) {
		return s.lim.Fuel
	}
	left := int64(s.mod.ExportedGlobal(FuelExport).Get())
	return s.lim.Fuel - uint64(max(left, 0))
}
