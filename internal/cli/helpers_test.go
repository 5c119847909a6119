package cli_test

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/lazchain/lazchain/internal/cli"
)

// run executes the lazchain command tree in-process and returns everything
// written to stdout, both through cobra and by commands that print to
// os.Stdout directly. Tests using it must not run in parallel.
func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		done <- b
	}()
	var cobraOut bytes.Buffer
	root := cli.Root()
	root.SetArgs(args)
	root.SetOut(&cobraOut)
	root.SetErr(&cobraOut)
	saved := os.Stdout
	func() {
		os.Stdout = w
		defer func() { // restore even if the command panics
			os.Stdout = saved
			w.Close()
		}()
		err = root.Execute()
	}()
	out := <-done
	r.Close()
	return string(out) + cobraOut.String(), err
}

// mustRun is run for commands that must succeed.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := run(t, args...)
	if err != nil {
		t.Fatalf("lazchain %v: %v\noutput:\n%s", args, err, out)
	}
	return out
}
