package cli

import "github.com/spf13/cobra"

// Root returns the lazchain command tree.
func Root() *cobra.Command {
	root := &cobra.Command{
		Use:           "lazchain",
		Short:         "A proof-of-stake BFT chain that anchors verifiable claims about AI work",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(queryCommand(), verifyCommand(), blobCommand(), idaoCommand(), artifactCommand(), disputeCommand(), simCommand(), initCommand(), testnetCommand(), startCommand(), devnetCommand(),
		statusCommand(), txCommand(), blockCommand(), keysCommand(), benchCommand(), auditCommand())
	return root
}
