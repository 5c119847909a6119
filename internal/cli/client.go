package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/rpc"
	"github.com/lazchain/lazchain/internal/types"
)

func addNodeFlag(cmd *cobra.Command, url *string) {
	cmd.Flags().StringVar(url, "node", defaultNode, "node API URL (node0 of the local devnet)")
}

func printJSON(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	fmt.Println(string(b))
	return nil
}

func statusCommand() *cobra.Command {
	var url string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a node's chain id, height, round and epoch",
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := rpc.NewClient(url).Status(cmd.Context())
			if err != nil {
				return err
			}
			return printJSON(st)
		},
	}
	addNodeFlag(cmd, &url)
	return cmd
}

func blockCommand() *cobra.Command {
	var url string
	cmd := &cobra.Command{
		Use:   "block [HEIGHT]",
		Short: "Show a committed block (the latest without HEIGHT)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := rpc.NewClient(url)
			var h uint64
			if len(args) == 1 {
				var err error
				if h, err = strconv.ParseUint(args[0], 10, 64); err != nil {
					return fmt.Errorf("height %q is not a number", args[0])
				}
			}
			b, err := c.Block(cmd.Context(), h, len(args) == 0)
			if err != nil {
				return err
			}
			return printJSON(b)
		},
	}
	addNodeFlag(cmd, &url)
	return cmd
}

func keysCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "Manage account keys"}
	var out string
	add := &cobra.Command{
		Use:   "add",
		Short: "Create an ed25519 account key file and print its address",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := os.Stat(out); err == nil {
				return fmt.Errorf("%s exists; refusing to overwrite a key", out)
			}
			k := config.NewNodeKey()
			if err := config.SaveNodeKey(out, k); err != nil {
				return err
			}
			fmt.Printf("address: %s\nkey file: %s\n", hex.EncodeToString(k.Public().(ed25519.PublicKey)), out)
			return nil
		},
	}
	add.Flags().StringVar(&out, "out", "account.json", "where to write the key")
	cmd.AddCommand(add)
	return cmd
}

type txFlags struct {
	url, keyFile, body string
	kind               uint16
	nonce              int64
	wait               bool
}

func txCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "tx", Short: "Send and inspect transactions"}
	var f txFlags
	send := &cobra.Command{
		Use:   "send",
		Short: "Sign a transaction with an account key and submit it",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return sendTx(cmd.Context(), f)
		},
	}
	addNodeFlag(send, &f.url)
	send.Flags().StringVar(&f.keyFile, "key", "account.json", "account key file (lazchain keys add)")
	send.Flags().Uint16Var(&f.kind, "kind", 0, "transaction kind")
	send.Flags().StringVar(&f.body, "body", "", "transaction body (text)")
	send.Flags().Int64Var(&f.nonce, "nonce", -1, "nonce; -1 asks the node for the account's next nonce")
	send.Flags().BoolVar(&f.wait, "wait", false, "wait until the transaction is committed")

	var url string
	show := &cobra.Command{
		Use:   "show HASH",
		Short: "Show a transaction and its receipt",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var h types.Hash
			b, err := hex.DecodeString(args[0])
			if err != nil || len(b) != len(h) {
				return fmt.Errorf("%q is not a 64-digit hex hash", args[0])
			}
			copy(h[:], b)
			v, err := rpc.NewClient(url).Tx(cmd.Context(), h)
			if err != nil {
				return err
			}
			return printJSON(v)
		},
	}
	addNodeFlag(show, &url)
	cmd.AddCommand(send, show, stakeCommand(), transferCommand())
	return cmd
}

func sendTx(ctx context.Context, f txFlags) error {
	key, err := config.LoadNodeKey(f.keyFile)
	if err != nil {
		return fmt.Errorf("%w (create one with: lazchain keys add --out %s)", err, f.keyFile)
	}
	return signAndSend(ctx, f, key, f.kind, []byte(f.body))
}

// signAndSend signs kind and body with key at the account's next nonce
// (or f.nonce) and submits the transaction.
func signAndSend(ctx context.Context, f txFlags, key ed25519.PrivateKey, kind uint16, body []byte) error {
	c := rpc.NewClient(f.url)
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	nonce := uint64(f.nonce)
	if f.nonce < 0 {
		acc, err := c.Account(ctx, key.Public().(ed25519.PublicKey))
		if err != nil {
			return err
		}
		// Past what the node's mempool holds from this key: a validator's
		// node key also signs the node's own transactions.
		nonce = max(acc.Nonce, acc.PendingNonce)
	}
	tx := &types.Tx{ChainID: st.ChainID, Nonce: nonce, Kind: kind, Body: body}
	tx.Sign(key)
	ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	res, err := c.Submit(ctx, tx, f.wait)
	if err != nil {
		return err
	}
	if !f.wait {
		return printJSON(res)
	}
	// Committed is not the same as executed: show the receipt, and fail
	// the command when the transaction failed.
	v, err := c.Tx(ctx, tx.Hash())
	if err != nil {
		return err
	}
	if err := printJSON(v); err != nil {
		return err
	}
	if !v.OK {
		return fmt.Errorf("transaction %s committed but failed: %s", v.Hash, v.Result)
	}
	return nil
}
