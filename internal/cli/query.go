package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/rpc"
)

// queryCommand reads staking state through a node's API.
func queryCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "query", Short: "Read validators, accounts, epochs and evidence from a node"}
	var url string
	var epoch int64
	var all bool
	get := func(c *cobra.Command, path string) error {
		raw, err := rpc.NewClient(url).Get(c.Context(), path)
		if err != nil {
			return err
		}
		return printJSON(raw)
	}
	validators := &cobra.Command{
		Use: "validators", Short: "The active set (of --epoch, or now); --all lists every registered validator", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			switch {
			case all:
				return get(c, "/staking/validators")
			case epoch >= 0:
				return get(c, "/validators?epoch="+strconv.FormatInt(epoch, 10))
			}
			return get(c, "/validators")
		},
	}
	validators.Flags().Int64Var(&epoch, "epoch", -1, "epoch (default: the current one)")
	validators.Flags().BoolVar(&all, "all", false, "every registered validator, with tokens, commission and jail state")
	account := &cobra.Command{
		Use: "account ADDRESS", Short: "Balance, nonce, delegations and unbonding of an account", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			a, err := config.ParseAddress(args[0])
			if err != nil {
				return err
			}
			return get(c, "/accounts/"+a.String())
		},
	}
	epochCmd := &cobra.Command{
		Use: "epoch N", Short: "An epoch's set, bounds and end proof", Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			n, err := strconv.ParseUint(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("epoch %q is not a number", args[0])
			}
			return get(c, "/epochs/"+strconv.FormatUint(n, 10))
		},
	}
	evidence := &cobra.Command{
		Use: "evidence", Short: "Double signs punished on-chain", Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return get(c, "/evidence") },
	}
	for _, sub := range []*cobra.Command{validators, account, epochCmd, evidence} {
		addNodeFlag(sub, &url)
		cmd.AddCommand(sub)
	}
	return cmd
}
