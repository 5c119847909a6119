package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/rpc"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/verify"
)

// policyFlags are the flags that set an iDAO policy.
type policyFlags struct {
	kinds, threshold  string
	committee         uint32
	window, bond, fee uint64
}

func (p *policyFlags) add(c *cobra.Command) {
	d := idao.DefaultPolicy()
	c.Flags().StringVar(&p.kinds, "kinds", "dataset,model,agent-run", "accepted artifact kinds")
	c.Flags().StringVar(&p.threshold, "threshold", "2/3", "fraction of committee stake a certificate must exceed")
	c.Flags().Uint32Var(&p.committee, "committee-size", d.CommitteeSize, "members drawn into each rotation's committee")
	c.Flags().Uint64Var(&p.window, "challenge-window", d.ChallengeWindow, "blocks after attestation during which a verdict may be disputed")
	c.Flags().Uint64Var(&p.bond, "dispute-bond", d.DisputeBond, "bond a challenger puts up")
	c.Flags().Uint64Var(&p.fee, "submit-fee", 0, "fee per submitted artifact, shared by the certificate's signers")
}

func (p *policyFlags) policy() (idao.Policy, error) {
	out := idao.Policy{CommitteeSize: p.committee, ChallengeWindow: p.window, DisputeBond: p.bond, SubmitFee: p.fee}
	for _, s := range strings.Split(p.kinds, ",") {
		k, err := verify.ParseKind(strings.TrimSpace(s))
		if err != nil {
			return out, err
		}
		out.Kinds = append(out.Kinds, k)
	}
	slices.Sort(out.Kinds)
	num, den, ok := strings.Cut(p.threshold, "/")
	n, err1 := strconv.ParseUint(num, 10, 32)
	d, err2 := strconv.ParseUint(den, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		return out, fmt.Errorf("--threshold %q: want a fraction such as 2/3", p.threshold)
	}
	out.ThresholdNum, out.ThresholdDen = uint32(n), uint32(d)
	return out, out.Validate()
}

func idaoCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "idao", Short: "Create, govern and inspect iDAO verification quorums"}
	var url, keyFile, members string
	var pf policyFlags
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Found an iDAO; the key's account must be one of the member validators",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := loadKey(keyFile)
			if err != nil {
				return err
			}
			p, err := pf.policy()
			if err != nil {
				return err
			}
			c := rpc.NewClient(url)
			ms, err := memberList(cmd.Context(), c, members)
			if err != nil {
				return err
			}
			return sendAndShow(cmd.Context(), c, key, idao.KindCreate, idao.Create{Name: args[0], Policy: p, Members: ms}.Encode())
		},
	}
	create.Flags().StringVar(&members, "members", "all", "comma-separated validator operator addresses, or all")
	pf.add(create)

	var add, remove string
	var dissolve, setPolicy bool
	propose := &cobra.Command{
		Use:   "propose NAME (--add-member ADDR | --remove-member ADDR | --dissolve | --set-policy [policy flags])",
		Short: "Propose a member or policy change; it passes when members with enough stake vote yes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := loadKey(keyFile)
			if err != nil {
				return err
			}
			p := idao.Propose{IDAO: args[0]}
			switch {
			case add != "":
				p.Action = idao.AddMember
				p.Member, err = config.ParseAddress(add)
			case remove != "":
				p.Action = idao.RemoveMember
				p.Member, err = config.ParseAddress(remove)
			case dissolve:
				p.Action = idao.Dissolve
			case setPolicy:
				p.Action = idao.SetPolicy
				p.Policy, err = pf.policy()
			default:
				return fmt.Errorf("say what to propose: --add-member, --remove-member, --dissolve or --set-policy")
			}
			if err != nil {
				return err
			}
			if p.Action != idao.SetPolicy {
				p.Policy = idao.DefaultPolicy() // unused, but the body carries a valid one
			}
			c := rpc.NewClient(url)
			before := highestProposal(cmd, c, args[0])
			if err := sendAndShow(cmd.Context(), c, key, idao.KindPropose, p.Encode()); err != nil {
				return err
			}
			announceProposal(cmd, c, args[0], key, before)
			return nil
		},
	}
	propose.Flags().StringVar(&add, "add-member", "", "validator to add")
	propose.Flags().StringVar(&remove, "remove-member", "", "member to remove")
	propose.Flags().BoolVar(&dissolve, "dissolve", false, "dissolve the iDAO")
	propose.Flags().BoolVar(&setPolicy, "set-policy", false, "replace the policy with the one the policy flags give")
	// One proposal is one action: a second one given was silently dropped.
	propose.MarkFlagsMutuallyExclusive("add-member", "remove-member", "dissolve", "set-policy")
	pf.add(propose)

	var no bool
	vote := &cobra.Command{
		Use:   "vote NAME PROPOSAL-ID [--no]",
		Short: "Vote on an open proposal (yes unless --no)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := loadKey(keyFile)
			if err != nil {
				return err
			}
			id, err := strconv.ParseUint(args[1], 10, 64)
			if err != nil {
				return fmt.Errorf("proposal id %q is not a number", args[1])
			}
			return sendAndShow(cmd.Context(), rpc.NewClient(url), key, idao.KindVote, idao.Vote{IDAO: args[0], Proposal: id, Yes: !no}.Encode())
		},
	}
	vote.Flags().BoolVar(&no, "no", false, "vote no")

	show := &cobra.Command{
		Use: "show NAME", Short: "Show an iDAO: policy, members, proposals and current committee", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v, err := rpc.NewClient(url).IDAO(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printJSON(v)
		},
	}
	list := &cobra.Command{
		Use: "list", Short: "List the iDAOs", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, err := rpc.NewClient(url).Get(cmd.Context(), "/idaos")
			if err != nil {
				return err
			}
			return printJSON(v)
		},
	}
	for _, c := range []*cobra.Command{create, propose, vote, show, list} {
		addNodeFlag(c, &url)
		if c != show && c != list {
			c.Flags().StringVar(&keyFile, "key", "account.json", "account key file that signs")
		}
		cmd.AddCommand(c)
	}
	return cmd
}

func loadKey(path string) (ed25519.PrivateKey, error) {
	key, err := config.LoadNodeKey(path)
	if err != nil {
		return nil, fmt.Errorf("%w (create one with: lazchain keys add --out %s, or use a devnet node's node_key.json)", err, path)
	}
	return key, nil
}

// memberList parses --members; "all" is every registered validator.
func memberList(ctx context.Context, c *rpc.Client, s string) ([]staking.Address, error) {
	if s != "all" {
		var out []staking.Address
		for _, a := range strings.Split(s, ",") {
			addr, err := config.ParseAddress(strings.TrimSpace(a))
			if err != nil {
				return nil, err
			}
			out = append(out, addr)
		}
		return out, nil
	}
	var resp struct {
		Validators []struct {
			Operator string `json:"operator"`
		} `json:"validators"`
	}
	if err := c.GetJSON(ctx, "/staking/validators", &resp); err != nil {
		return nil, err
	}
	var out []staking.Address
	for _, v := range resp.Validators {
		a, err := config.ParseAddress(v.Operator)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// highestProposal is the highest proposal id listed in the iDAO now, or
// -1: the new proposal is above it.
func highestProposal(cmd *cobra.Command, c *rpc.Client, name string) int64 {
	d, err := c.IDAO(cmd.Context(), name)
	if err != nil {
		return -1
	}
	top := int64(-1)
	for _, p := range d.Proposals {
		top = max(top, int64(p.ID))
	}
	return top
}

// announceProposal tells the proposer the id the members vote on: its
// proposal above before, if it is still open.
func announceProposal(cmd *cobra.Command, c *rpc.Client, name string, key ed25519.PrivateKey, before int64) {
	d, err := c.IDAO(cmd.Context(), name)
	if err != nil {
		return
	}
	me := hex.EncodeToString(key.Public().(ed25519.PublicKey))
	for _, p := range d.Proposals {
		if p.Proposer == me && int64(p.ID) > before {
			fmt.Fprintf(cmd.ErrOrStderr(), "proposal %d is open; members vote with: lazchain idao vote %s %d (add --no against)\n", p.ID, name, p.ID)
			return
		}
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "the proposal closed at once (your vote decided it): see lazchain idao show %s\n", name)
}

func sendAndShow(ctx context.Context, c *rpc.Client, key ed25519.PrivateKey, kind uint16, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 45*time.Second)
	defer cancel()
	v, err := c.SendTx(ctx, key, kind, body)
	if err != nil {
		return err
	}
	return printJSON(v)
}
