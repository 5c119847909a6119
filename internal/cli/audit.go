package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/internal/audit"
	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/light"
	"github.com/lazchain/lazchain/internal/rpc"
	"github.com/lazchain/lazchain/internal/types"
)

// auditCommand checks artifacts and the chain offline from the genesis file.
func auditCommand() *cobra.Command {
	var url, genesisFile, bundleFile, save string
	cmd := &cobra.Command{
		Use:   "audit ID",
		Short: "Check an artifact's whole history from the genesis file alone (exit 0 only if every check passes)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := types.ParseHash(args[0])
			if err != nil {
				return fmt.Errorf("artifact id: %w", err)
			}
			g, err := config.LoadGenesis(genesisFile)
			if err != nil {
				return err
			}
			data, err := loadBundle(cmd, url, bundleFile, id)
			if err != nil {
				return err
			}
			if save != "" {
				if err := os.WriteFile(save, data, 0o644); err != nil {
					return fmt.Errorf("save bundle: %w", err)
				}
			}
			rep, err := auditBundle(g, id, data)
			if err != nil {
				return err
			}
			printReport(rep, len(data))
			return nil
		},
	}
	addNodeFlag(cmd, &url)
	cmd.Flags().StringVar(&genesisFile, "genesis", "genesis.json", "the chain's genesis file")
	cmd.Flags().StringVar(&bundleFile, "bundle", "", "check this bundle file instead of fetching one from --node")
	cmd.Flags().StringVar(&save, "save", "", "also write the bundle to this file")
	cmd.AddCommand(auditChainCommand())
	return cmd
}

func loadBundle(cmd *cobra.Command, url, file string, id types.Hash) ([]byte, error) {
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read bundle: %w", err)
		}
		return data, nil
	}
	return rpc.NewClient(url).ArtifactProof(cmd.Context(), id, 30*time.Second)
}

// auditBundle decodes and verifies a bundle for artifact id.
func auditBundle(g *config.Genesis, id types.Hash, data []byte) (*audit.Report, error) {
	b, err := audit.Decode(data)
	if err != nil {
		return nil, &audit.CheckError{Check: "bundle format", Err: err}
	}
	if b.Artifact != id {
		return nil, &audit.CheckError{Check: "artifact id", Err: fmt.Errorf("bundle is for %s", b.Artifact)}
	}
	genesis, err := genesisEpoch(g)
	if err != nil {
		return nil, err
	}
	return audit.Verify(g.ChainID, genesis, b)
}

func printReport(rep *audit.Report, size int) {
	a, h := rep.Artifact, rep.Header
	fmt.Printf("artifact %s (%s %q in iDAO %s)\n", a.ID, a.Kind(), a.Submit.Name, a.Submit.IDAO)
	fmt.Printf("  root %s, %d bytes\n", a.Submit.Root, a.Submit.Size)
	fmt.Printf("checks passed (bundle of %d bytes):\n", size)
	fmt.Printf("  epoch chain: %d epoch change(s) from genesis, each certified by > 2/3 of the previous set\n", len(rep.Epochs)-1)
	fmt.Printf("  commit certificate: block %d (epoch %d, round %d) certified by its epoch's validators\n", h.Height, h.Epoch, h.Round)
	fmt.Printf("  state proof: records proven against the state root %s after height %d\n", h.State.Root.Short(), h.State.Height)
	if a.Settled() {
		fmt.Printf("  iDAO certificate: signed by %d of %d committee stake (rotation %d)\n", rep.CertSigned, rep.CertTotal, a.CertRotation)
	}
	fmt.Printf("  events: %d proven against their blocks' event roots\n", len(rep.Events))
	fmt.Println("history:")
	for _, e := range rep.Events {
		fmt.Printf("  height %-6d %-20s %s\n", e.Height, e.Event.Type, e.Event.Detail)
	}
	for _, d := range rep.Disputes {
		fmt.Printf("  dispute %s: claim %s by %x, bond %d, %s\n", d.ID.Short(), d.Claim, d.Challenger[:8], d.Bond, d.Status)
		if j := d.Ruling; j != nil {
			side := "against the challenger"
			if j.ForChallenger {
				side = "for the challenger"
			}
			fmt.Printf("    ruling %s in epoch %d: signed by %d of %d stake; slashed %d from %d signer(s), reward %d\n",
				side, j.Epoch, j.SignedPower, j.TotalPower, j.Slashed, j.SlashedCount, j.Reward)
		}
	}
	verdict := "invalid"
	if a.Verdict {
		verdict = "valid"
	}
	status := a.Status.String()
	if (a.Status == idao.Attested) && h.State.Height > a.ChallengeEnd {
		status = "final"
	}
	fmt.Printf("verdict: %s (%s) digest %s", verdict, status, a.Digest.Short())
	if a.Reason != "" {
		fmt.Printf(": %s", a.Reason)
	}
	fmt.Println()
}

// auditChainCommand verifies every header and certificate from genesis.
func auditChainCommand() *cobra.Command {
	var url, genesisFile string
	cmd := &cobra.Command{
		Use:   "chain",
		Short: "Verify every header and commit certificate from genesis to the tip (the light-client path)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			g, err := config.LoadGenesis(genesisFile)
			if err != nil {
				return err
			}
			genesis, err := genesisEpoch(g)
			if err != nil {
				return err
			}
			c := rpc.NewClient(url)
			step := func(n uint64) (light.Step, error) {
				// A header of an epoch just begun can come before the
				// certificate of the change into it is signed: wait a
				// little for it rather than call the chain unproven.
				deadline := time.Now().Add(30 * time.Second)
				for {
					v, err := c.Epoch(cmd.Context(), n)
					if err != nil {
						return light.Step{}, err
					}
					s, err := v.Step()
					if err != nil || s.Cert != nil || time.Now().After(deadline) {
						return s, err
					}
					select {
					case <-cmd.Context().Done():
						return light.Step{}, cmd.Context().Err()
					case <-time.After(500 * time.Millisecond):
					}
				}
			}
			v, err := audit.NewChainVerifier(g.ChainID, genesis, step)
			if err != nil {
				return err
			}
			start, from, total := time.Now(), uint64(1), 0
			var fetch time.Duration
			for {
				t := time.Now()
				hs, err := c.Headers(cmd.Context(), from, 1000)
				if err != nil {
					return err
				}
				fetch += time.Since(t)
				if len(hs) == 0 {
					break
				}
				for _, h := range hs {
					if err := v.Add(h); err != nil {
						return err
					}
				}
				total += len(hs)
				from += uint64(len(hs))
			}
			if err := v.Flush(); err != nil {
				return err
			}
			took := time.Since(start)
			check := took - fetch
			fmt.Printf("verified %d headers (%d certificates checked) through epoch %d from %s\n", total, v.Certified, v.Epoch().Number, genesisFile)
			fmt.Printf("took %s: %.0f headers/s overall, %.0f headers/s checking (fetch %s)\n",
				took.Round(time.Millisecond), float64(total)/took.Seconds(), float64(total)/check.Seconds(), fetch.Round(time.Millisecond))
			return nil
		},
	}
	addNodeFlag(cmd, &url)
	cmd.Flags().StringVar(&genesisFile, "genesis", "genesis.json", "the chain's genesis file")
	return cmd
}
