package verify

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/lazchain/lazchain/internal/wasmrun"
)

// runAgent re-executes the run in the wasmrun sandbox under its default
// limits and checks that the output's SHA-256 is the claim. Every way
// the module can fail is a verdict with a fixed reason: wazero's own
// error text stays out of it, since another wazero version may word it
// differently. A timeout is not a verdict: it depends on the machine.
func runAgent(ctx context.Context, in Input) (Result, error) {
	if in.Format != "wasm" {
		return Invalid("agent run: format %s, want wasm", quoteCell(in.Format)), nil
	}
	rc, err := in.Open()
	if err != nil {
		return Result{}, fmt.Errorf("verify agent run: open: %w", err)
	}
	defer rc.Close()
	module, input, err := DecodeAgentRun(rc, in.Size)
	if errors.Is(err, ErrBadEnvelope) {
		return Invalid("agent run: %v", err), nil
	}
	if err != nil {
		return Result{}, err
	}
	out, used, err := wasmrun.Run(ctx, module, input, wasmrun.DefaultLimits())
	if err != nil {
		return runFailure(err, used)
	}
	digest := sha256.Sum256(out)
	if digest != in.Claim {
		return Invalid("agent run: output digest %x, claimed %x", digest, in.Claim), nil
	}
	return Result{Valid: true, Digest: digest}, nil
}

// runFailures maps each deterministic wasmrun error to its reason.
var runFailures = []struct {
	err    error
	reason string
}{
	{wasmrun.ErrModuleTooLarge, "module over the size limit"},
	{wasmrun.ErrMalformed, "module is not valid WebAssembly"},
	{wasmrun.ErrUnsupportedFeature, "module uses a WebAssembly feature the sandbox does not support"},
	{wasmrun.ErrImports, "module has imports; the sandbox provides none"},
	{wasmrun.ErrABI, "module does not follow the sandbox ABI"},
	{wasmrun.ErrLimit, "module or input exceeds a sandbox limit"},
	{wasmrun.ErrStackExhausted, "call stack exhausted"},
	{wasmrun.ErrTrap, "module trapped"},
	{wasmrun.ErrOutputTooLarge, "output over the size limit"},
}

func runFailure(err error, used uint64) (Result, error) {
	if errors.Is(err, wasmrun.ErrTimeout) {
		return Result{}, fmt.Errorf("verify agent run: %w", err)
	}
	if errors.Is(err, wasmrun.ErrFuelExhausted) {
		return Invalid("agent run: fuel exhausted after %d units", used), nil
	}
	for _, f := range runFailures {
		if errors.Is(err, f.err) {
			return Invalid("agent run: %s", f.reason), nil
		}
	}
	return Result{}, fmt.Errorf("verify agent run: %w", err) // timeout, cancelled: no verdict
}

// An agent-run artifact is an envelope holding the module and its input:
//
//	"LZAR" | version (1 byte) | u32 module length | module | u32 input length | input
//
// with lengths little-endian, and nothing after the input.
const (
	AgentRunMagic   = "LZAR"
	AgentRunVersion = 1
)

// ErrBadEnvelope wraps every reason DecodeAgentRun rejects an envelope
// for; each reason is deterministic (it names the field and the numbers).
var ErrBadEnvelope = errors.New("malformed agent-run envelope")

// EncodeAgentRun builds the envelope for module and input. It panics if
// either is 4 GiB or more, which no limit allows anyway.
func EncodeAgentRun(module, input []byte) []byte {
	if uint64(len(module)) > math.MaxUint32 || uint64(len(input)) > math.MaxUint32 {
		panic("verify: agent-run module or input of 4 GiB or more")
	}
	b := make([]byte, 0, len(AgentRunMagic)+1+4+len(module)+4+len(input))
	b = append(append(b, AgentRunMagic...), AgentRunVersion)
	b = append(binary.LittleEndian.AppendUint32(b, uint32(len(module))), module...)
	return append(binary.LittleEndian.AppendUint32(b, uint32(len(input))), input...)
}

// DecodeAgentRun reads an envelope of size bytes from r. The module is
// bounded by wasmrun.DefaultLimits().MaxModule and the input by its
// MaxInput, so the read never allocates more than those. A malformed
// envelope wraps ErrBadEnvelope; any other error is a failed read.
func DecodeAgentRun(r io.Reader, size uint64) (module, input []byte, err error) {
	lim := wasmrun.DefaultLimits()
	const fixed = uint64(len(AgentRunMagic) + 1 + 4 + 4)
	if size < fixed {
		return nil, nil, badEnvelope("%d bytes, shorter than the %d-byte frame", size, fixed)
	}
	head := make([]byte, len(AgentRunMagic)+1)
	if err := readEnvelope(r, head, "the header"); err != nil {
		return nil, nil, err
	}
	if string(head[:4]) != AgentRunMagic {
		return nil, nil, badEnvelope("magic %x, want %x (%q)", head[:4], AgentRunMagic, AgentRunMagic)
	}
	if head[4] != AgentRunVersion {
		return nil, nil, badEnvelope("version %d, want %d", head[4], AgentRunVersion)
	}
	if module, err = readPart(r, "module", lim.MaxModule, size-fixed); err != nil {
		return nil, nil, err
	}
	if input, err = readPart(r, "input", lim.MaxInput(), size-fixed-uint64(len(module))); err != nil {
		return nil, nil, err
	}
	if left := size - fixed - uint64(len(module)) - uint64(len(input)); left != 0 {
		return nil, nil, badEnvelope("bytes after the input: %d", left)
	}
	if n, _ := r.Read(make([]byte, 1)); n != 0 {
		return nil, nil, badEnvelope("the stream goes on past the declared %d bytes", size)
	}
	return module, input, nil
}

// readPart reads a u32 length and that many bytes, which must be at most
// limit and at most room (what the declared size leaves).
func readPart(r io.Reader, what string, limit int, room uint64) ([]byte, error) {
	var n [4]byte
	if err := readEnvelope(r, n[:], what+" length"); err != nil {
		return nil, err
	}
	size := binary.LittleEndian.Uint32(n[:])
	if uint64(size) > uint64(limit) {
		return nil, badEnvelope("%s of %d bytes, the limit is %d", what, size, limit)
	}
	if uint64(size) > room {
		return nil, badEnvelope("%s length %d runs past the end of the envelope", what, size)
	}
	b := make([]byte, size)
	return b, readEnvelope(r, b, "the "+what)
}

// readEnvelope reads len(p) bytes of an envelope.
func readEnvelope(r io.Reader, p []byte, what string) error {
	return readExact(r, p, "verify agent run", what, func() error { return badEnvelope("ends inside %s (truncated)", what) })
}

func badEnvelope(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadEnvelope, fmt.Sprintf(format, args...))
}
