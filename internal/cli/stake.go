package cli

import (
	"crypto/ed25519"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/rpc"
	"github.com/lazchain/lazchain/internal/staking"
)

// stakeTx is one staking transaction's command: flags, then a body.
type stakeTx struct {
	use, short string
	kind       uint16
	flags      func(*cobra.Command)
	body       func(key ed25519.PrivateKey, chainID string) ([]byte, error)
}

func stakeCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "stake", Short: "Bond, delegate, unbond and run validators"}
	var (
		validator, name, netAddr, home string
		amount, selfBond               uint64
		commission, newCommission      uint32
	)
	target := func(c *cobra.Command) {
		c.Flags().StringVar(&validator, "validator", "", "validator operator address (hex)")
		c.Flags().Uint64Var(&amount, "amount", 0, "amount of stake")
	}
	addr := func() (staking.Address, error) { return config.ParseAddress(validator) }
	txs := []stakeTx{
		{use: "create-validator", short: "Register the key's account as a validator with the node home's BLS key", kind: staking.KindCreateValidator,
			flags: func(c *cobra.Command) {
				c.Flags().StringVar(&home, "home", "", "node home holding bls_key.json and node_key.json (required)")
				c.Flags().StringVar(&name, "name", "", "validator name")
				c.Flags().StringVar(&netAddr, "net-addr", "", "p2p address other validators dial (host:port)")
				c.Flags().Uint32Var(&commission, "commission-bps", 500, "commission in basis points")
				c.Flags().Uint64Var(&selfBond, "self-bond", 0, "stake bonded from the account")
			},
			body: func(key ed25519.PrivateKey, chainID string) ([]byte, error) {
				if home == "" {
					return nil, fmt.Errorf("--home is required")
				}
				bk, err := config.LoadBLSKey(filepath.Join(home, config.BLSKeyFile))
				if err != nil {
					return nil, err
				}
				nk, err := config.LoadNodeKey(filepath.Join(home, config.NodeKeyFile))
				if err != nil {
					return nil, err
				}
				if netAddr == "" {
					return nil, fmt.Errorf("--net-addr is required: the host:port other validators dial")
				}
				cv := staking.CreateValidator{BLSKey: bk.PublicKey().Bytes(), PoP: bk.ProvePossession(), Name: name,
					NetAddr: netAddr, CommissionBps: commission, SelfBond: selfBond}
				copy(cv.NodeID[:], nk.Public().(ed25519.PublicKey))
				var op staking.Address
				copy(op[:], key.Public().(ed25519.PublicKey))
				cv.SignRegistration(chainID, op, bk, nk)
				return cv.Encode(), nil
			}},
		{use: "edit-validator", short: "Change the validator's name, address or commission", kind: staking.KindEditValidator,
			flags: func(c *cobra.Command) {
				c.Flags().StringVar(&name, "name", "", "new name (empty keeps)")
				c.Flags().StringVar(&netAddr, "net-addr", "", "new p2p address (empty keeps)")
				c.Flags().Uint32Var(&newCommission, "commission-bps", 0xFFFFFFFF, "new commission (default keeps)")
			},
			body: func(ed25519.PrivateKey, string) ([]byte, error) {
				return staking.EditValidator{Name: name, NetAddr: netAddr, CommissionBps: newCommission}.Encode(), nil
			}},
		{use: "delegate", short: "Bond stake to a validator", kind: staking.KindDelegate, flags: target,
			body: func(ed25519.PrivateKey, string) ([]byte, error) {
				a, err := addr()
				return staking.Delegate{Validator: a, Amount: amount}.Encode(), err
			}},
		{use: "undelegate", short: "Start unbonding stake from a validator", kind: staking.KindUndelegate, flags: target,
			body: func(ed25519.PrivateKey, string) ([]byte, error) {
				a, err := addr()
				return staking.Undelegate{Validator: a, Amount: amount}.Encode(), err
			}},
		{use: "withdraw", short: "Release unbonded stake whose period has passed", kind: staking.KindWithdraw,
			body: func(ed25519.PrivateKey, string) ([]byte, error) { return staking.Withdraw{}.Encode(), nil }},
		{use: "unjail", short: "Return a jailed validator to the candidates", kind: staking.KindUnjail,
			body: func(ed25519.PrivateKey, string) ([]byte, error) { return staking.Unjail{}.Encode(), nil }},
	}
	for _, st := range txs {
		cmd.AddCommand(st.command())
	}
	return cmd
}

func (st stakeTx) command() *cobra.Command {
	var f txFlags
	c := &cobra.Command{
		Use: st.use, Short: st.short, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, err := config.LoadNodeKey(f.keyFile)
			if err != nil {
				return fmt.Errorf("%w (create one with: lazchain keys add --out %s)", err, f.keyFile)
			}
			status, err := rpc.NewClient(f.url).Status(cmd.Context())
			if err != nil {
				return err
			}
			body, err := st.body(key, status.ChainID)
			if err != nil {
				return err
			}
			return signAndSend(cmd.Context(), f, key, st.kind, body)
		},
	}
	txKeyFlags(c, &f)
	if st.flags != nil {
		st.flags(c)
	}
	return c
}

func txKeyFlags(c *cobra.Command, f *txFlags) {
	addNodeFlag(c, &f.url)
	c.Flags().StringVar(&f.keyFile, "key", "account.json", "account key file (lazchain keys add, or a node's node_key.json)")
	c.Flags().Int64Var(&f.nonce, "nonce", -1, "nonce; -1 asks the node for the account's next nonce")
	c.Flags().BoolVar(&f.wait, "wait", true, "wait until the transaction is committed")
}

func transferCommand() *cobra.Command {
	var f txFlags
	var to string
	var amount uint64
	c := &cobra.Command{
		Use: "transfer", Short: "Send tokens to another account", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, err := config.LoadNodeKey(f.keyFile)
			if err != nil {
				return err
			}
			a, err := config.ParseAddress(to)
			if err != nil {
				return err
			}
			if amount == 0 {
				return fmt.Errorf("--amount must be above 0")
			}
			return signAndSend(cmd.Context(), f, key, staking.KindTransfer, staking.Transfer{To: a, Amount: amount}.Encode())
		},
	}
	txKeyFlags(c, &f)
	c.Flags().StringVar(&to, "to", "", "recipient address (hex)")
	c.Flags().Uint64Var(&amount, "amount", 0, "amount (required)")
	c.MarkFlagRequired("to")
	c.MarkFlagRequired("amount")
	return c
}
