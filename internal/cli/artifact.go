package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	neturl "net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/rpc"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// artifactFlags describe one submission.
type artifactFlags struct {
	url, keyFile, kind, name, format, schema, desc, license, input, claim, claimedOutput string
	chunk                                                                                int
	wait                                                                                 bool
	timeout                                                                              time.Duration
}

func artifactCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "artifact", Short: "Submit AI artifacts to an iDAO and inspect verdicts"}
	var f artifactFlags
	var target string
	submit := &cobra.Command{
		Use:   "submit FILE --kind dataset|model|agent-run --idao NAME",
		Short: "Upload a file to the off-chain store, submit it to an iDAO and (with --wait) wait for its verdict",
		Long: `Uploads FILE in checked chunks (a second run resumes a broken upload), then
submits its Merkle root and metadata. For an agent run, FILE is the
WebAssembly module; --input is its input and --claim (or --claimed-output)
the output digest the team claims; the module and input are uploaded
together as one artifact.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return submitArtifact(cmd, f, target, args[0])
		},
	}
	fl := submit.Flags()
	fl.StringVar(&target, "idao", "", "iDAO that verifies the artifact (required)")
	fl.StringVar(&f.kind, "kind", "dataset", "dataset, model or agent-run")
	fl.StringVar(&f.format, "format", "", "csv or jsonl (datasets; default from the file name), safetensors, wasm")
	fl.StringVar(&f.schema, "schema", "", "JSON schema file for a dataset")
	fl.StringVar(&f.name, "name", "", "artifact name (default: the file name)")
	fl.StringVar(&f.desc, "description", "", "description")
	fl.StringVar(&f.license, "license", "", "license")
	fl.StringVar(&f.input, "input", "", "agent run: the module's input file")
	fl.StringVar(&f.claim, "claim", "", "agent run: claimed SHA-256 of the output (hex)")
	fl.StringVar(&f.claimedOutput, "claimed-output", "", "agent run: file whose SHA-256 is the claim")
	fl.IntVar(&f.chunk, "chunk-size", merkle.DefaultChunk, "chunk size in bytes")
	fl.BoolVar(&f.wait, "wait", false, "wait for the certificate and print the verdict")
	fl.DurationVar(&f.timeout, "timeout", 5*time.Minute, "how long --wait waits")
	fl.StringVar(&f.keyFile, "key", "account.json", "account key file that signs and pays")
	submit.MarkFlagRequired("idao")
	addNodeFlag(submit, &f.url)

	var url, status string
	show := &cobra.Command{
		Use: "show ID", Short: "Show an artifact: metadata, status, verdict and certificate", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseRoot(args[0])
			if err != nil {
				return err
			}
			v, err := rpc.NewClient(url).Artifact(cmd.Context(), types.Hash(id))
			if err != nil {
				return err
			}
			return printJSON(v)
		},
	}
	addNodeFlag(show, &url)
	list := &cobra.Command{
		Use: "list [--idao NAME] [--status pending|attested|disputed|overturned]", Short: "List artifacts", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, err := rpc.NewClient(url).Get(cmd.Context(), artifactsQuery(target, status))
			if err != nil {
				return err
			}
			return printJSON(v)
		},
	}
	list.Flags().StringVar(&target, "idao", "", "only this iDAO's artifacts")
	list.Flags().StringVar(&status, "status", "", "pending, attested, disputed or overturned")
	addNodeFlag(list, &url)
	cmd.AddCommand(submit, show, list)
	return cmd
}

func submitArtifact(cmd *cobra.Command, f artifactFlags, target, file string) error {
	ctx := cmd.Context()
	key, err := loadKey(f.keyFile)
	if err != nil {
		return err
	}
	sub, upload, cleanup, err := describe(f, target, file)
	if err != nil {
		return err
	}
	defer cleanup()
	c := rpc.NewClient(f.url)
	d, err := c.IDAO(ctx, target)
	if err != nil {
		return err
	}
	if !slices.Contains(d.Policy.Kinds, sub.Kind.String()) {
		return fmt.Errorf("idao %q accepts %s, not %s (see lazchain idao list)", target, strings.Join(d.Policy.Kinds, ", "), sub.Kind)
	}
	sub.Fee = d.Policy.SubmitFee
	m, err := uploadFile(cmd, c, upload, f.chunk)
	if err != nil {
		return err
	}
	sub.Root, sub.Size, sub.ChunkSize = m.Root, uint64(m.Size), uint32(m.ChunkSize)
	id := idao.ArtifactID(sub)
	tctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	if _, err := c.SendTx(tctx, key, idao.KindSubmit, sub.Encode()); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "submitted artifact %s to %s\n", id, target)
	if !f.wait {
		v, err := c.Artifact(ctx, id)
		if err != nil {
			return err
		}
		return printJSON(v)
	}
	v, err := waitAttested(ctx, c, id, f.timeout)
	if err != nil {
		return err
	}
	printVerdict(cmd, v)
	return printJSON(v)
}

// describe builds the submission from the flags and returns the file to
// upload: FILE itself, or for an agent run a temporary envelope of module
// and input.
func describe(f artifactFlags, target, file string) (idao.Submit, string, func(), error) {
	none := func() {}
	kind, err := verify.ParseKind(f.kind)
	if err != nil {
		return idao.Submit{}, "", none, err
	}
	sub := idao.Submit{IDAO: target, Kind: kind, Name: f.name, Description: f.desc, License: f.license, Format: f.format,
		Verifier: kind.String() + "/v1"}
	if sub.Name == "" {
		sub.Name = filepath.Base(file)
	}
	if sub.Format == "" {
		sub.Format = defaultFormat(kind, file)
	}
	if f.schema != "" {
		if sub.Schema, err = os.ReadFile(f.schema); err != nil {
			return sub, "", none, fmt.Errorf("schema: %w", err)
		}
	}
	if kind == verify.KindDataset {
		// The committee would anchor "invalid" for good: check here, before
		// anything is uploaded or signed.
		if f.schema == "" {
			return sub, "", none, fmt.Errorf(`a dataset needs --schema FILE, a JSON object such as {"columns":[{"name":"id","type":"int","required":true}]}; without one its verdict is "invalid: schema: missing"`)
		}
		if _, err := verify.ParseSchema(sub.Schema); err != nil {
			return sub, "", none, fmt.Errorf("--schema %s: %w", f.schema, err)
		}
	}
	if kind != verify.KindAgentRun {
		return sub, file, none, nil
	}
	if sub.Claim, err = claimOf(f); err != nil {
		return sub, "", none, err
	}
	env, err := envelope(file, f.input)
	if err != nil {
		return sub, "", none, err
	}
	return sub, env, func() { os.Remove(env) }, nil
}

func defaultFormat(k verify.Kind, file string) string {
	switch k {
	case verify.KindModel:
		return "safetensors"
	case verify.KindAgentRun:
		return "wasm"
	}
	if strings.HasSuffix(file, ".jsonl") || strings.HasSuffix(file, ".ndjson") {
		return "jsonl"
	}
	return "csv"
}

func claimOf(f artifactFlags) (types.Hash, error) {
	var h types.Hash
	switch {
	case f.claim != "":
		b, err := hex.DecodeString(f.claim)
		if err != nil || len(b) != len(h) {
			return h, fmt.Errorf("--claim %q is not 64 hex characters", f.claim)
		}
		copy(h[:], b)
	case f.claimedOutput != "":
		b, err := os.ReadFile(f.claimedOutput)
		if err != nil {
			return h, err
		}
		h = sha256.Sum256(b)
	default:
		return h, fmt.Errorf("an agent run needs --claim or --claimed-output")
	}
	return h, nil
}

func envelope(module, input string) (string, error) {
	mod, err := os.ReadFile(module)
	if err != nil {
		return "", err
	}
	var in []byte
	if input != "" {
		if in, err = os.ReadFile(input); err != nil {
			return "", err
		}
	}
	tmp, err := os.CreateTemp("", "lazchain-agent-run-*.bin")
	if err != nil {
		return "", err
	}
	defer tmp.Close()
	if _, err := tmp.Write(verify.EncodeAgentRun(mod, in)); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), tmp.Sync()
}

// waitAttested polls until the artifact has its certificate.
func waitAttested(ctx context.Context, c *rpc.Client, id types.Hash, limit time.Duration) (rpc.ArtifactView, error) {
	deadline := time.Now().Add(limit)
	for {
		v, err := c.Artifact(ctx, id)
		if err == nil && v.Status == idao.Expired.String() {
			return v, fmt.Errorf("artifact %x expired without a certificate: no member could check it (is its data available?)", id[:8])
		}
		if err == nil && v.Status != idao.Pending.String() {
			return v, nil
		}
		if time.Now().After(deadline) {
			return v, fmt.Errorf("artifact %x has no certificate after %s (status %q)", id[:8], limit, v.Status)
		}
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func printVerdict(cmd *cobra.Command, v rpc.ArtifactView) {
	w := cmd.ErrOrStderr()
	fmt.Fprintf(w, "artifact  %s\nverdict   %s\ndigest    %s\n", v.ID, v.Verdict, v.Digest)
	if v.Reason != "" {
		fmt.Fprintf(w, "reason    %s\n", v.Reason)
	}
	if c := v.Certificate; c != nil {
		fmt.Fprintf(w, "anchored  height %d, rotation %d, signed by seats %v with stake %d of %d\n",
			c.Height, c.Rotation, c.Signers, c.SignedPower, c.CommitteePower)
	}
}

// artifactsQuery is the GET /artifacts path for a list: the values are
// escaped, so a name or status with '&' or '#' cannot add or hide a filter.
func artifactsQuery(idaoName, status string) string {
	q := neturl.Values{"limit": {"1000"}}
	if idaoName != "" {
		q.Set("idao", idaoName)
	}
	if status != "" {
		q.Set("status", status)
	}
	return "/artifacts?" + q.Encode()
}
