package cli

import (
	"fmt"
	"net"
	"strings"
	"testing"
)

// List filters are escaped into the query.
func TestArtifactsQueryEscapes(t *testing.T) {
	got := artifactsQuery("a&status=attested", "pending")
	want := "/artifacts?idao=a%26status%3Dattested&limit=1000&status=pending"
	if got != want {
		t.Fatalf("query %q, want %q", got, want)
	}
}

// A devnet refuses to start over ports in use, naming the address: its
// nodes failed to bind while it read another network's height.
func TestPortsFree(t *testing.T) {
	base, err := freeBasePort(4)
	if err != nil {
		t.Fatal(err)
	}
	homes, err := writeTestnet(testnetFlags{validators: 2, output: t.TempDir(), chainID: "ports-test", host: "127.0.0.1", basePort: base, timeoutMs: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if err := portsFree(homes); err != nil {
		t.Fatalf("free ports: %v", err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", base+3) // node 1's API
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := portsFree(homes); err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("with %s taken: %v", addr, err)
	}
}
