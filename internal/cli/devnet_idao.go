package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/rpc"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// devnetIDAOs are the iDAOs a devnet starts with: one for datasets, one
// for models and agent runs.
func devnetIDAOs() []idao.Create {
	data := idao.DefaultPolicy()
	data.Kinds = []verify.Kind{verify.KindDataset}
	compute := idao.DefaultPolicy()
	compute.Kinds = []verify.Kind{verify.KindModel, verify.KindAgentRun}
	compute.CommitteeSize = 3
	return []idao.Create{{Name: "datasets", Policy: data}, {Name: "compute", Policy: compute}}
}

// sampleCSV is the devnet's sample dataset: deterministic, with a schema.
func sampleCSV(rows int) string {
	var b strings.Builder
	b.WriteString("id,score,label,verified\n")
	for i := 1; i <= rows; i++ {
		fmt.Fprintf(&b, "%d,%d.%02d,item-%d,%t\n", i, i%97, i%100, i%13, i%3 == 0)
	}
	return b.String()
}

const sampleSchema = `{"columns":[{"name":"id","type":"int","required":true},{"name":"score","type":"float","required":true},{"name":"label","type":"string"},{"name":"verified","type":"bool"}]}`

// devnetSample creates the devnet's iDAOs (unless a reused home has them)
// and verifies and anchors the sample dataset, printing the verdict.
func devnetSample(cmd *cobra.Command, home, nodeHome, api string) error {
	ctx := cmd.Context()
	// A founder must be a member, so node0's operator key creates the
	// iDAOs; the sample is submitted by the devnet's user account.
	founder, err := config.LoadNodeKey(filepath.Join(nodeHome, config.NodeKeyFile))
	if err != nil {
		return err
	}
	key, err := config.LoadNodeKey(AccountFile(filepath.Join(home, "accounts"), 0))
	if err != nil {
		return err
	}
	c := rpc.NewClient(api)
	members, err := memberList(ctx, c, "all")
	if err != nil {
		return err
	}
	for _, cr := range devnetIDAOs() {
		if _, err := c.IDAO(ctx, cr.Name); err == nil {
			continue
		}
		cr.Members = members
		tctx, cancel := context.WithTimeout(ctx, 45*time.Second)
		_, err := c.SendTx(tctx, founder, idao.KindCreate, cr.Encode())
		cancel()
		if err != nil {
			return fmt.Errorf("create idao %s: %w", cr.Name, err)
		}
		fmt.Printf("created iDAO %q (%s)\n", cr.Name, kindsOf(cr.Policy))
	}
	dir := filepath.Join(home, "sample")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data := filepath.Join(dir, "sample.csv")
	if err := os.WriteFile(data, []byte(sampleCSV(5000)), 0o644); err != nil {
		return err
	}
	// Beside it, its schema: what the hint for the user's own submission
	// points at.
	if err := os.WriteFile(filepath.Join(dir, "schema.json"), []byte(sampleSchema+"\n"), 0o644); err != nil {
		return err
	}
	m, err := uploadFile(cmd, c, data, merkle.DefaultChunk/16)
	if err != nil {
		return err
	}
	sub := idao.Submit{IDAO: "datasets", Kind: verify.KindDataset, Root: m.Root, Size: uint64(m.Size), ChunkSize: uint32(m.ChunkSize),
		Name: "sample.csv", Description: "devnet sample dataset", License: "CC0-1.0", Format: "csv", Schema: []byte(sampleSchema), Verifier: "dataset/v1"}
	id := idao.ArtifactID(sub)
	if _, err := c.Artifact(ctx, id); err != nil {
		tctx, cancel := context.WithTimeout(ctx, 45*time.Second)
		_, err := c.SendTx(tctx, key, idao.KindSubmit, sub.Encode())
		cancel()
		var api *rpc.APIError
		if err != nil && !errors.As(err, &api) {
			return fmt.Errorf("submit sample: %w", err)
		}
	}
	fmt.Printf("submitted sample dataset %s (%d bytes, root %x) to iDAO \"datasets\"; waiting for its certificate ...\n", data, m.Size, m.Root[:8])
	v, err := waitAttested(ctx, c, types.Hash(id), 2*time.Minute)
	if err != nil {
		return err
	}
	printVerdict(cmd, v)
	fmt.Printf("sample dataset %s: %s, anchored at height %d\n  lazchain artifact show %s\n", v.ID[:16], v.Verdict, v.Certificate.Height, v.ID)
	return nil
}

func kindsOf(p idao.Policy) string {
	var s []string
	for _, k := range p.Kinds {
		s = append(s, k.String())
	}
	return strings.Join(s, ", ")
}
