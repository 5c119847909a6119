package cli

import "testing"

// List filters are escaped into the query.
func TestArtifactsQueryEscapes(t *testing.T) {
	got := artifactsQuery("a&status=attested", "pending")
	want := "/artifacts?idao=a%26status%3Dattested&limit=1000&status=pending"
	if got != want {
		t.Fatalf("query %q, want %q", got, want)
	}
}
