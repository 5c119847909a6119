package cli

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes a child node get SIGTERM if this process dies, so a
// killed devnet or benchmark never leaves orphan nodes holding ports.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
