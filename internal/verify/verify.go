package verify

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Kind is what an artifact claims to be. The numbering is part of the
// on-chain encoding: never reuse a number.
type Kind uint8

const (
	KindDataset  Kind = 1
	KindModel    Kind = 2
	KindAgentRun Kind = 3
	// Room for other proofs of computation: an agent run attested by a TEE
	// quote, or proved by a zero-knowledge proof. They have no verifier yet,
	// so a policy cannot accept them.
	KindAgentRunTEE Kind = 4
	KindAgentRunZK  Kind = 5
)

func (k Kind) String() string {
	switch k {
	case KindDataset:
		return "dataset"
	case KindModel:
		return "model"
	case KindAgentRun:
		return "agent-run"
	case KindAgentRunTEE:
		return "agent-run-tee"
	case KindAgentRunZK:
		return "agent-run-zk"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ParseKind reads the name String writes.
func ParseKind(s string) (Kind, error) {
	for k := KindDataset; k <= KindAgentRunZK; k++ {
		if k.String() == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("artifact kind %q: want dataset, model or agent-run", s)
}

// Input is one artifact as a verifier sees it.
type Input struct {
	Kind   Kind
	Format string   // dataset: "csv" or "jsonl"; model: "safetensors"; agent run: "wasm"
	Schema []byte   // dataset: the declared schema (JSON, see ParseSchema)
	Claim  [32]byte // agent run: the claimed SHA-256 of the module's output
	Size   uint64
	// Open streams the whole artifact from its first byte. It may be called
	// more than once.
	Open func() (io.ReadCloser, error)
}

// Result is a verifier's verdict. Members sign (Valid, Digest), so both are
// functions of the artifact's bytes and the Input alone.
type Result struct {
	Valid bool
	// Digest is the canonical result digest: for a valid artifact the
	// digest of what was verified (dataset statistics, the tensor index,
	// the agent's output); for an invalid one, the digest of Reason.
	Digest [32]byte
	// Reason says why an artifact is invalid, deterministically: it names
	// the row, tensor or limit that failed, never a machine-local detail.
	Reason string
}

// MaxReasonBytes bounds a Reason: votes, certificates and rulings carry
// it, and they refuse longer ones. A reason built from the artifact (a
// column or tensor name, a shape) could be longer, and then an honest
// "invalid" could never be certified, nor a dispute over it ruled.
const MaxReasonBytes = 1024

// Invalid builds the Result for an artifact that failed a check. A reason
// over MaxReasonBytes is cut, at a character boundary, and marked so.
func Invalid(format string, args ...any) Result {
	reason := clip(fmt.Sprintf(format, args...))
	return Result{Valid: false, Digest: sha256.Sum256([]byte("lazchain/verify/invalid\x00" + reason)), Reason: reason}
}

// clip cuts reason to MaxReasonBytes, ending in "..." when cut. A reason
// within the bound is returned as it is, so clipping a clipped reason
// changes nothing, and a certificate's reason hashes to its digest.
func clip(reason string) string {
	if len(reason) <= MaxReasonBytes {
		return reason
	}
	const mark = "..."
	cut := MaxReasonBytes - len(mark)
	for cut > 0 && !utf8.RuneStart(reason[cut]) {
		cut--
	}
	return reason[:cut] + mark
}

// ErrUnsupported is returned for a kind or format no verifier handles.
var ErrUnsupported = errors.New("verify: no verifier for this kind and format")

// Run runs the verifier for in's kind and format. An invalid artifact is a
// Result with Valid false, not an error; an error means the verifier could
// not reach a verdict at all (the bytes could not be read, ctx ended), and
// the member must not vote.
func Run(ctx context.Context, in Input) (Result, error) {
	switch in.Kind {
	case KindDataset:
		return runDataset(ctx, in)
	case KindModel:
		return runModel(ctx, in)
	case KindAgentRun:
		return runAgent(ctx, in)
	}
	return Result{}, fmt.Errorf("%w: %s/%s", ErrUnsupported, in.Kind, in.Format)
}

// readExact reads len(p) bytes. Running out of bytes is the artifact's
// fault, and truncated says how; any other failure is the reader's, and
// no verdict can be reached.
func readExact(r io.Reader, p []byte, verifier, what string, truncated func() error) error {
	_, err := io.ReadFull(r, p)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return truncated()
	}
	if err != nil {
		return fmt.Errorf("%s: read %s: %w", verifier, what, err)
	}
	return nil
}
