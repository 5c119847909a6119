package verify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/lazchain/lazchain/internal/wasmrun"
)

func agentInput(artifact []byte, claim [32]byte) Input {
	return Input{
		Kind: KindAgentRun, Format: "wasm", Claim: claim, Size: uint64(len(artifact)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(artifact)), nil },
	}
}

func TestAgentRun(t *testing.T) {
	echo := EncodeAgentRun(wasmrun.EchoModule(), []byte("plan: buy low"))
	echoDigest := sha256.Sum256([]byte("plan: buy low"))
	sum := EncodeAgentRun(wasmrun.SumModule(), []byte{200, 100})
	sumDigest := sha256.Sum256([]byte{44, 1, 0, 0, 0, 0, 0, 0})
	wrong := sha256.Sum256([]byte("something else"))
	cases := []struct {
		name     string
		artifact []byte
		claim    [32]byte
		format   string
		reason   string // empty: valid
	}{
		{"echo, correct claim", echo, echoDigest, "wasm", ""},
		{"sum, correct claim", sum, sumDigest, "wasm", ""},
		{"wrong claim", echo, wrong, "wasm",
			"agent run: output digest " + hex.EncodeToString(echoDigest[:]) + ", claimed " + hex.EncodeToString(wrong[:])},
		{"wrong format", echo, echoDigest, "onnx", `agent run: format "onnx", want wasm`},
		{"infinite loop", EncodeAgentRun(wasmrun.LoopForeverModule(), nil), wrong, "wasm",
			"agent run: fuel exhausted after 1000000000 units"},
		{"not wasm", EncodeAgentRun([]byte("MZ\x90\x00"), nil), wrong, "wasm", "agent run: module is not valid WebAssembly"},
		{"truncated envelope", echo[:len(echo)-3], echoDigest, "wasm",
			"agent run: malformed agent-run envelope: input length 13 runs past the end of the envelope"},
		{"truncated frame", echo[:6], echoDigest, "wasm",
			"agent run: malformed agent-run envelope: 6 bytes, shorter than the 13-byte frame"},
		{"bad magic", append([]byte("LZAX"), echo[4:]...), echoDigest, "wasm",
			`agent run: malformed agent-run envelope: magic 4c5a4158, want 4c5a4152 ("LZAR")`},
		{"bad version", append([]byte("LZAR\x02"), echo[5:]...), echoDigest, "wasm",
			"agent run: malformed agent-run envelope: version 2, want 1"},
		{"trailing bytes", append(bytes.Clone(echo), 0), echoDigest, "wasm",
			"agent run: malformed agent-run envelope: bytes after the input: 1"},
		{"module over limit", EncodeAgentRun(make([]byte, 8<<20+1), nil), wrong, "wasm",
			"agent run: malformed agent-run envelope: module of 8388609 bytes, the limit is 8388608"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := agentInput(c.artifact, c.claim)
			in.Format = c.format
			got, err := Run(context.Background(), in)
			if err != nil {
				t.Fatalf("no verdict: %v", err)
			}
			want := Result{Valid: true, Digest: c.claim}
			if c.reason != "" {
				want = Invalid("%s", c.reason)
			}
			if got != want {
				t.Fatalf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestAgentRunTruncatedStream: a stream that ends before the declared
// size is a truncated envelope, an invalid verdict.
func TestAgentRunTruncatedStream(t *testing.T) {
	echo := EncodeAgentRun(wasmrun.EchoModule(), []byte("plan"))
	in := agentInput(echo[:len(echo)-3], sha256.Sum256([]byte("plan")))
	in.Size = uint64(len(echo))
	got, err := Run(context.Background(), in)
	want := Invalid("agent run: malformed agent-run envelope: ends inside the input (truncated)")
	if err != nil || got != want {
		t.Fatalf("got %+v, %v; want %+v", got, err, want)
	}
}

// TestAgentRunNoVerdict: a failed read or a cancelled context is an
// error, never an invalid verdict, since another member may finish.
func TestAgentRunNoVerdict(t *testing.T) {
	in := agentInput(EncodeAgentRun(wasmrun.LoopForeverModule(), nil), [32]byte{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, in); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: err = %v, want context.Canceled", err)
	}
	in.Open = func() (io.ReadCloser, error) { return nil, errors.New("disk on fire") }
	if _, err := Run(context.Background(), in); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("open failure: err = %v", err)
	}
}

func TestAgentRunEnvelopeRoundTrip(t *testing.T) {
	for _, c := range []struct{ module, input []byte }{
		{wasmrun.EchoModule(), []byte("x")},
		{wasmrun.SumModule(), nil},
		{nil, nil},
	} {
		env := EncodeAgentRun(c.module, c.input)
		m, in, err := DecodeAgentRun(bytes.NewReader(env), uint64(len(env)))
		if err != nil || !bytes.Equal(m, c.module) || !bytes.Equal(in, c.input) {
			t.Fatalf("round trip: %v, module %x input %x", err, m, in)
		}
	}
}
