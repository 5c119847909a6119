package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Mistakes that would only become a failed transaction, or an "invalid"
// verdict anchored for good, are refused before the node is called: a
// dataset without a schema or with a broken one, a transfer of nothing,
// a dispute over a final artifact.
func TestClientSideRefusals(t *testing.T) {
	const dead = "http://127.0.0.1:1"
	dir := t.TempDir()
	key := filepath.Join(dir, "acct.json")
	mustRun(t, "keys", "add", "--out", key)
	data := filepath.Join(dir, "d.csv")
	notJSON := filepath.Join(dir, "schema.csv")
	for _, f := range []string{data, notJSON} {
		if err := os.WriteFile(f, []byte("a,b\n1,2\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	to := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"dataset without a schema", []string{"artifact", "submit", data, "--idao", "datasets", "--key", key}, "a dataset needs --schema FILE"},
		{"schema not JSON", []string{"artifact", "submit", data, "--idao", "datasets", "--schema", notJSON, "--key", key}, "--schema " + notJSON},
		{"transfer without an amount", []string{"tx", "transfer", "--to", to, "--key", key}, `required flag(s) "amount" not set`},
		{"transfer of nothing", []string{"tx", "transfer", "--to", to, "--amount", "0", "--key", key}, "--amount must be above 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := run(t, append(tc.args, "--node", dead)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "cannot reach node") {
				t.Fatalf("called the node before refusing: %v", err)
			}
		})
	}

	// A final artifact, from a node: refused before any transaction.
	f, srv := newFakeNode(t, []byte(strings.Repeat("x", 3000)))
	f.artifact.Final = true
	_, err := run(t, "dispute", "open", f.artifact.ID, "--claim", "wrong-verdict", "--key", key, "--node", srv.URL)
	if err == nil || !strings.Contains(err.Error(), "is final") {
		t.Fatalf("dispute over a final artifact: %v", err)
	}
	if f.submitted() != nil {
		t.Fatal("a transaction was sent")
	}
}

// init never writes over what a node left: a BLS key alone is enough to
// refuse (a new one would destroy a validator's consensus key).
func TestInitRefusesAUsedHome(t *testing.T) {
	home := t.TempDir()
	key := filepath.Join(home, "bls_key.json")
	if err := os.WriteFile(key, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, "init", "--home", home)
	if err == nil || !strings.Contains(err.Error(), "bls_key.json exists") {
		t.Fatalf("init over a BLS key: %v", err)
	}
	if b, _ := os.ReadFile(key); string(b) != "keep me" {
		t.Fatal("the BLS key was overwritten")
	}
}
