// Command lazchain is the single binary of the lazchain chain.
package main

import (
	"fmt"
	"os"

	"github.com/lazchain/lazchain/internal/cli"
)

func main() {
	if err := cli.Root().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
