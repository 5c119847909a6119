package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/light"
	"github.com/lazchain/lazchain/internal/rpc"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/state"
)

// verifyCommand checks what a node serves against the genesis file alone.
func verifyCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "verify", Short: "Check a node's answers against the genesis file, trusting no node"}
	var url, genesisFile string
	epochs := &cobra.Command{
		Use:   "epochs",
		Short: "Follow validator sets from genesis through every epoch-change certificate",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			g, err := config.LoadGenesis(genesisFile)
			if err != nil {
				return err
			}
			cur, err := genesisEpoch(g)
			if err != nil {
				return err
			}
			c := rpc.NewClient(url)
			st, err := c.Status(cmd.Context())
			if err != nil {
				return err
			}
			for n := uint64(1); n <= st.Epoch; n++ {
				v, err := c.Epoch(cmd.Context(), n)
				if err != nil {
					return err
				}
				step, err := v.Step()
				if err != nil {
					return err
				}
				if step.Cert == nil && n == st.Epoch {
					fmt.Printf("epoch %d: certificate still being signed; stopping at epoch %d\n", n, cur.Number)
					break
				}
				if cur, err = light.Next(g.ChainID, cur, step); err != nil {
					return err
				}
				fmt.Printf("epoch %d: %d validators, set %s, certified by %d of epoch %d's validators\n",
					n, len(cur.Set), cur.SetHash().Short(), step.Cert.Signers.Count(), n-1)
			}
			fmt.Printf("verified: epoch %d's set follows from %s\n", cur.Number, genesisFile)
			return nil
		},
	}
	addNodeFlag(epochs, &url)
	epochs.Flags().StringVar(&genesisFile, "genesis", "genesis.json", "the chain's genesis file")
	cmd.AddCommand(epochs)
	return cmd
}

// genesisEpoch is epoch 0 as the state machine derives it from genesis.
func genesisEpoch(g *config.Genesis) (*state.Epoch, error) {
	gs, err := g.State()
	if err != nil {
		return nil, err
	}
	st, err := staking.Genesis(g.ChainID, gs.Params, gs.Validators)
	if err != nil {
		return nil, err
	}
	return &state.Epoch{Number: 0, EndHeight: gs.Params.EpochLength, Set: st.Active()}, nil
}
