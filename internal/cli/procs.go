package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// launchNodes starts `lazchain start --home H` for every home, with each
// node's output in H/node.log. If one fails to start, those already
// started are stopped.
func launchNodes(homes []string) ([]*exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own binary: %w", err)
	}
	var procs []*exec.Cmd
	for _, h := range homes {
		logf, err := os.OpenFile(filepath.Join(h, "node.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			stopAll(procs)
			return nil, err
		}
		cmd := exec.Command(self, "start", "--home", h)
		dieWithParent(cmd)
		cmd.Stdout, cmd.Stderr = logf, logf
		err = cmd.Start()
		logf.Close() // the child holds its own descriptor
		if err != nil {
			stopAll(procs)
			return nil, fmt.Errorf("start node in %s: %w", h, err)
		}
		procs = append(procs, cmd)
	}
	return procs, nil
}

// stopAll sends SIGTERM and waits, then kills what is left.
func stopAll(procs []*exec.Cmd) {
	for _, p := range procs {
		if p.Process != nil {
			p.Process.Signal(syscall.SIGTERM)
		}
	}
	done := make(chan struct{})
	go func() {
		for _, p := range procs {
			if p.Process != nil {
				p.Process.Wait()
			}
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		for _, p := range procs {
			if p.Process != nil {
				p.Process.Kill()
			}
		}
	}
}
