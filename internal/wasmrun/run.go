package wasmrun

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// features are the WebAssembly 2.0 features minus SIMD, exactly what the
// instrumenter knows how to meter. (wazero ties bulk memory to reference
// types; both are metered.)
const features = api.CoreFeaturesV2 &^ api.CoreFeatureSIMD

// Run instruments module, instantiates it in a fresh wazero runtime with
// nothing to import, passes it input and returns its output and the fuel
// it used. See doc.go for the ABI. Every error but ErrTimeout and a
// cancelled ctx is deterministic: it depends only on module, input and
// the deterministic fields of lim.
func Run(ctx context.Context, module, input []byte, lim Limits) (out []byte, fuelUsed uint64, err error) {
	bin, err := Instrument(module, lim)
	if err != nil {
		return nil, 0, err
	}
	if len(input) > lim.MaxInput() {
		return nil, 0, fmt.Errorf("%w: input of %d bytes, memory holds %d", ErrLimit, len(input), lim.MaxInput())
	}
	tctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	rt := wazero.NewRuntimeWithConfig(tctx, runtimeConfig(lim))
	defer rt.Close(context.Background())
	mod, err := instantiate(tctx, rt, bin)
	if err != nil {
		return nil, 0, classify(ctx, tctx, nil, err)
	}
	defer interruptOnDone(tctx, mod)()
	s := session{mod: mod, lim: lim}
	out, err = s.call(ctx, tctx, input)
	return out, s.fuelUsed(err), err
}

// runtimeConfig picks the compiler where wazero has one (linux/amd64 and
// arm64 among others) and the interpreter elsewhere. WithCloseOnContextDone
// stays off: the instrumentation's slow path stops and yields instead,
// far more cheaply (see slow.go).
func runtimeConfig(lim Limits) wazero.RuntimeConfig {
	return wazero.NewRuntimeConfig().
		WithCoreFeatures(features).
		WithMemoryLimitPages(lim.MemoryPages).
		WithDebugInfoEnabled(false)
}

// interruptOnDone sets the module's stop global when ctx ends; the next
// call of the slow path then traps and classify reports the timeout. The
// returned func waits until the setter is done or will never run, so the
// caller's later reads of the globals happen after it.
//
// The write races, by design, with compiled code that only ever reads
// the flag: an aligned 32-bit store it observes at its next slow path.
func interruptOnDone(ctx context.Context, mod api.Module) (wait func()) {
	stop := mod.ExportedGlobal(StopExport).(api.MutableGlobal)
	done := make(chan struct{})
	cancel := context.AfterFunc(ctx, func() {
		stop.Set(1)
		close(done)
	})
	return func() {
		if !cancel() {
			<-done
		}
	}
}

// instantiate compiles the instrumented binary, checks the ABI and
// instantiates it without running any start function.
func instantiate(ctx context.Context, rt wazero.Runtime, bin []byte) (api.Module, error) {
	compiled, err := rt.CompileModule(ctx, bin)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if err := checkABI(compiled); err != nil {
		return nil, err
	}
	mod, err := rt.InstantiateModule(ctx, compiled, wazero.NewModuleConfig().WithName("agent").WithStartFunctions())
	if err != nil { // an active data or element segment out of bounds
		return nil, fmt.Errorf("%w: instantiation: %w", ErrTrap, err)
	}
	return mod, nil
}

func checkABI(m wazero.CompiledModule) error {
	if _, ok := m.ExportedMemories()["memory"]; !ok {
		return fmt.Errorf("%w: no exported memory named \"memory\"", ErrABI)
	}
	fns := m.ExportedFunctions()
	want := []struct {
		name           string
		params, result []api.ValueType
	}{
		{"alloc", []api.ValueType{api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}},
		{"run", []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, []api.ValueType{api.ValueTypeI64}},
	}
	for _, w := range want {
		f, ok := fns[w.name]
		if !ok || !slices.Equal(f.ParamTypes(), w.params) || !slices.Equal(f.ResultTypes(), w.result) {
			return fmt.Errorf("%w: want an exported function %s%v -> %v", ErrABI, w.name, w.params, w.result)
		}
	}
	return nil
}

// classify turns a failed call into a sentinel. The order matters: a
// cancelled or timed-out context sets the stop flag, whose trap must not
// be taken for the module's own.
func classify(ctx, tctx context.Context, mod api.Module, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("wasmrun: %w", ctx.Err())
	}
	if tctx.Err() != nil { // %v: a timeout must not match a deterministic sentinel
		return fmt.Errorf("%w: %v", ErrTimeout, err)
	}
	if mod == nil || isSentinel(err) {
		return err
	}
	if int64(mod.ExportedGlobal(FuelExport).Get()) < 0 {
		return ErrFuelExhausted
	}
	if int64(mod.ExportedGlobal(StackExport).Get()) > stackLimit {
		return ErrStackExhausted
	}
	return fmt.Errorf("%w: %w", ErrTrap, err)
}

func isSentinel(err error) bool {
	for _, s := range []error{ErrMalformed, ErrABI, ErrTrap, ErrOutputTooLarge} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}
