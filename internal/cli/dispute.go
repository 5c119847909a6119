package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/rpc"
	"github.com/lazchain/lazchain/internal/types"
)

// disputeFlags describe one challenge.
type disputeFlags struct {
	url, keyFile, claim, note, fraudFile string
	bond, fraudChunk                     uint64
	bondSet, fraudChunkSet, wait         bool
	timeout                              time.Duration
}

func disputeCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "dispute", Short: "Challenge an attested verdict and follow disputes"}
	var f disputeFlags
	open := &cobra.Command{
		Use:   "open ARTIFACT_ID --claim wrong-verdict|wrong-digest|unavailable --key KEYFILE",
		Short: "Stake a bond to dispute an artifact's certificate within its challenge window",
		Long: `Submits a challenge and prints the dispute's id once it is committed; a
challenge that fails (window closed, wrong bond, claim already disputed)
fails the command with the chain's reason. The bond defaults to the iDAO
policy's dispute bond. --fraud-chunk I --fraud-file FILE attach chunk I of
the artifact's bytes with its Merkle path as evidence; it must fit in one
transaction, so only artifacts submitted with small chunks can carry one.
--wait then waits until the dispute is ruled on, expires or is superseded,
and prints the outcome.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.bondSet, f.fraudChunkSet = cmd.Flags().Changed("bond"), cmd.Flags().Changed("fraud-chunk")
			return openDispute(cmd, f, args[0])
		},
	}
	fl := open.Flags()
	fl.StringVar(&f.claim, "claim", "", "what is wrong: "+strings.Join(claimNames(), ", ")+" (required)")
	fl.Uint64Var(&f.bond, "bond", 0, "bond to stake (default: the iDAO policy's dispute bond, read from the node)")
	fl.StringVar(&f.note, "note", "", fmt.Sprintf("note for the escalation committee, at most %d bytes", idao.MaxNote))
	fl.Uint64Var(&f.fraudChunk, "fraud-chunk", 0, "chunk index of the fraud proof (with --fraud-file)")
	fl.StringVar(&f.fraudFile, "fraud-file", "", "local copy of the artifact's bytes to cut the fraud proof's chunk from")
	fl.BoolVar(&f.wait, "wait", false, "wait for the dispute's outcome and print it")
	fl.DurationVar(&f.timeout, "timeout", 2*time.Minute, "how long --wait waits")
	fl.StringVar(&f.keyFile, "key", "account.json", "account key file that signs and pays the bond")
	open.MarkFlagRequired("claim")
	addNodeFlag(open, &f.url)

	var url string
	var asJSON bool
	show := &cobra.Command{
		Use: "show ID", Short: "Show a dispute: claim, bond, deadline, status and ruling", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseID(args[0], "dispute id")
			if err != nil {
				return err
			}
			v, err := rpc.NewClient(url).Dispute(cmd.Context(), id)
			if err != nil {
				return err
			}
			if asJSON {
				return printJSON(v)
			}
			printDispute(cmd.OutOrStdout(), v)
			return nil
		},
	}
	show.Flags().BoolVar(&asJSON, "json", false, "print the API's JSON")
	addNodeFlag(show, &url)

	var q listFlags
	list := &cobra.Command{
		Use: "list [--status open|upheld|rejected|expired|superseded] [--artifact ID]", Short: "List disputes in id order", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return listDisputes(cmd, url, q) },
	}
	list.Flags().StringVar(&q.status, "status", "", "only disputes in this status: "+strings.Join(disputeStatusNames(), ", "))
	list.Flags().StringVar(&q.artifact, "artifact", "", "only this artifact's disputes")
	list.Flags().StringVar(&q.after, "after", "", "start after this dispute id (the previous page's next)")
	list.Flags().IntVar(&q.limit, "limit", 100, "at most this many (1..1000)")
	list.Flags().BoolVar(&q.json, "json", false, "print the API's JSON")
	addNodeFlag(list, &url)
	cmd.AddCommand(open, show, list)
	return cmd
}

// openDispute checks every flag before it reads the key or calls the node.
func openDispute(cmd *cobra.Command, f disputeFlags, arg string) error {
	ctx := cmd.Context()
	claim, err := parseClaim(f.claim)
	if err != nil {
		return err
	}
	artifact, err := parseID(arg, "artifact id")
	if err != nil {
		return err
	}
	if f.fraudChunkSet != (f.fraudFile != "") {
		return fmt.Errorf("--fraud-chunk and --fraud-file go together: the proof is chunk --fraud-chunk of the file --fraud-file")
	}
	if len(f.note) > idao.MaxNote {
		return fmt.Errorf("--note has %d bytes; at most %d fit", len(f.note), idao.MaxNote)
	}
	key, err := loadKey(f.keyFile)
	if err != nil {
		return err
	}
	c := rpc.NewClient(f.url)
	ch, err := buildChallenge(ctx, c, f, artifact, claim)
	if err != nil {
		return err
	}
	body := ch.Encode()
	if err := checkTxSize(ctx, c, key, body); err != nil {
		return err
	}
	tctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	tx, err := c.SendTx(tctx, key, idao.KindChallenge, body)
	if err != nil {
		return err
	}
	id := idao.DisputeID(artifact, claim)
	fmt.Fprintln(cmd.OutOrStdout(), hex.EncodeToString(id[:]))
	v, err := c.Dispute(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "opened dispute %s over %s at height %d (tx %s), bond %d; ruling deadline height %d\n",
		v.ID, v.Claim, tx.Height, tx.Hash, v.Bond, v.Deadline)
	if !f.wait {
		return nil
	}
	if v, err = waitDispute(ctx, c, id, f.timeout); err != nil {
		return err
	}
	printDispute(cmd.OutOrStdout(), v)
	return nil
}

// buildChallenge reads what the challenge needs from the node: the
// artifact, the policy's bond unless --bond is set, and the fraud proof's
// chunk size.
func buildChallenge(ctx context.Context, c *rpc.Client, f disputeFlags, artifact types.Hash, claim idao.Claim) (idao.Challenge, error) {
	ch := idao.Challenge{Artifact: artifact, Claim: claim, Bond: f.bond, Note: f.note}
	a, err := c.Artifact(ctx, artifact)
	if err != nil {
		return ch, err
	}
	// Refused here rather than as a failed transaction that uses a nonce.
	switch {
	case a.Status == idao.Pending.String():
		return ch, fmt.Errorf("artifact %s is pending: it has no certificate to dispute yet", a.ID)
	case a.Status == "overturned":
		return ch, fmt.Errorf("artifact %s is overturned: nothing can dispute it any more", a.ID)
	case a.Final && a.Certificate != nil:
		return ch, fmt.Errorf("artifact %s is final: its challenge window closed at height %d", a.ID, a.Certificate.ChallengeEnd)
	case a.Final:
		return ch, fmt.Errorf("artifact %s is final: nothing can dispute it any more", a.ID)
	}
	if !f.bondSet {
		d, err := c.IDAO(ctx, a.IDAO)
		if err != nil {
			return ch, err
		}
		ch.Bond = d.Policy.DisputeBond
	}
	if f.fraudFile != "" {
		if ch.Proof, err = fraudProof(f.fraudFile, f.fraudChunk, a); err != nil {
			return ch, err
		}
	}
	return ch, nil
}

// fraudProof cuts chunk i out of file in the artifact's chunk size, as the
// blob store cuts it on upload, and proves it against the artifact's root.
// The file must be the artifact's bytes: its root and size are checked, so
// a wrong file fails here rather than on-chain.
func fraudProof(file string, i uint64, a rpc.ArtifactView) (*idao.FraudProof, error) {
	root, err := parseID(a.Root, "artifact root")
	if err != nil {
		return nil, err
	}
	in, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("--fraud-file: %w", err)
	}
	defer in.Close()
	var chunk []byte
	split, err := merkle.Split(in, int(a.ChunkSize), func(j uint64, b []byte) error {
		if j == i {
			chunk = append([]byte(nil), b...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("--fraud-file %s: %w", file, err)
	}
	if types.Hash(split.Root) != root || uint64(split.Size) != a.Size {
		return nil, fmt.Errorf("--fraud-file %s is not artifact %s's bytes: %d bytes with root %x in chunks of %d, the artifact has %d bytes with root %s",
			file, a.ID, split.Size, split.Root, a.ChunkSize, a.Size, a.Root)
	}
	p, err := merkle.Prove(split.Leaves, i)
	if err != nil {
		return nil, fmt.Errorf("--fraud-chunk %d: the artifact has %d chunks", i, len(split.Leaves))
	}
	out := &idao.FraudProof{Index: i, Chunk: chunk, Path: make([]types.Hash, len(p.Path))}
	for k, h := range p.Path {
		out.Path[k] = types.Hash(h)
	}
	return out, nil
}

// checkTxSize refuses a challenge that cannot fit in a transaction, which
// only a fraud proof's chunk can make so large.
func checkTxSize(ctx context.Context, c *rpc.Client, key ed25519.PrivateKey, body []byte) error {
	if len(body) < types.MaxTxBytes/2 {
		return nil
	}
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	tx := &types.Tx{ChainID: st.ChainID, Sender: key.Public().(ed25519.PublicKey), Kind: idao.KindChallenge, Body: body,
		Sig: make([]byte, ed25519.SignatureSize)}
	if n := tx.EncodedSize(); n > types.MaxTxBytes {
		return fmt.Errorf("the challenge with its fraud proof is a %d-byte transaction, over the limit of %d: the artifact's chunks are too large to carry as evidence; open the dispute without --fraud-chunk", n, types.MaxTxBytes)
	}
	return nil
}

// waitDispute polls until the dispute is no longer open.
func waitDispute(ctx context.Context, c *rpc.Client, id types.Hash, limit time.Duration) (rpc.DisputeView, error) {
	deadline := time.Now().Add(limit)
	for {
		v, err := c.Dispute(ctx, id)
		if err == nil && v.Status != idao.DisputeOpen.String() {
			return v, nil
		}
		if time.Now().After(deadline) {
			return v, fmt.Errorf("dispute %x still open after %s (ruling deadline height %d); check later with: lazchain dispute show %x", id[:8], limit, v.Deadline, id)
		}
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// listFlags are dispute list's filters.
type listFlags struct {
	status, artifact, after string
	limit                   int
	json                    bool
}

func listDisputes(cmd *cobra.Command, url string, f listFlags) error {
	q := rpc.DisputeQuery{Status: f.status, Limit: f.limit}
	if f.status != "" && !slices.Contains(disputeStatusNames(), f.status) {
		return fmt.Errorf("--status %q: want one of %s", f.status, strings.Join(disputeStatusNames(), ", "))
	}
	if f.limit < 1 || f.limit > 1000 {
		return fmt.Errorf("--limit %d: want 1..1000", f.limit)
	}
	var err error
	if f.artifact != "" {
		if q.Artifact, err = parseID(f.artifact, "artifact id"); err != nil {
			return err
		}
	}
	if f.after != "" {
		if q.After, err = parseID(f.after, "dispute id"); err != nil {
			return err
		}
	}
	v, err := rpc.NewClient(url).Disputes(cmd.Context(), q)
	if err != nil {
		return err
	}
	if f.json {
		return printJSON(v)
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tCLAIM\tARTIFACT\tOPENED\tDEADLINE")
	for _, d := range v.Disputes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\n", d.ID, d.Status, d.Claim, d.Artifact, d.Opened, d.Deadline)
	}
	tw.Flush()
	if v.Next != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "more: --after %s\n", v.Next)
	}
	return nil
}

// printDispute writes v for a reader.
func printDispute(w io.Writer, v rpc.DisputeView) {
	fmt.Fprintf(w, "dispute      %s\nartifact     %s (idao %s)\nclaim        %s\n", v.ID, v.Artifact, v.IDAO, v.Claim)
	status := v.Status
	if v.Closed != 0 {
		status += fmt.Sprintf(" at height %d", v.Closed)
	}
	fmt.Fprintf(w, "status       %s\nchallenger   %s\nbond         %d\n", status, v.Challenger, v.Bond)
	fmt.Fprintf(w, "opened       height %d, ruling deadline height %d\n", v.Opened, v.Deadline)
	fmt.Fprintf(w, "disputed     %s, digest %s\n", v.CertVerdict, v.CertDigest)
	if v.Note != "" {
		fmt.Fprintf(w, "note         %s\n", v.Note)
	}
	if p := v.FraudProof; p != nil {
		fmt.Fprintf(w, "fraud proof  chunk %d (%d bytes, path of %d)\n", p.ChunkIndex, p.ChunkSize, p.PathLength)
	}
	r := v.Ruling
	if r == nil {
		return
	}
	side := "against the challenger"
	if r.ForChallenger {
		side = "for the challenger"
	}
	fmt.Fprintf(w, "ruling       %s at height %d: %s, digest %s\n", side, r.Height, r.Verdict, r.Digest)
	if r.Reason != "" {
		fmt.Fprintf(w, "reason       %s\n", r.Reason)
	}
	fmt.Fprintf(w, "signed       epoch %d, stake %d of %d, validators %v\n", r.Epoch, r.SignedPower, r.TotalPower, r.Signers)
	if r.ForChallenger {
		fmt.Fprintf(w, "slashed      %d tokens from %d signers; reward %d\n", r.Slashed, r.SlashedCount, r.Reward)
	}
}

func claimNames() []string {
	var out []string
	for c := idao.ClaimWrongVerdict; c.Valid(); c++ {
		out = append(out, c.String())
	}
	return out
}

func parseClaim(s string) (idao.Claim, error) {
	for c := idao.ClaimWrongVerdict; c.Valid(); c++ {
		if c.String() == s {
			return c, nil
		}
	}
	return 0, fmt.Errorf("--claim %q: want one of %s", s, strings.Join(claimNames(), ", "))
}

func disputeStatusNames() []string {
	var out []string
	for st := idao.DisputeOpen; st <= idao.DisputeSuperseded; st++ {
		out = append(out, st.String())
	}
	return out
}

// parseID reads a 64-digit hex id.
func parseID(s, what string) (types.Hash, error) {
	var h types.Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("%q is not a 64-digit hex %s", s, what)
	}
	copy(h[:], b)
	return h, nil
}
