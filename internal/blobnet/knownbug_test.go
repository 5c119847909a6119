package blobnet

import (
	"os"
	"testing"
)

// Bugs in the package's code that some tests here reproduce. Such a test
// is skipped unless BLOBNET_KNOWN_BUGS=1; once the bug is fixed, drop the
// knownBug call.
const (
	// fetchChunks hands chunk j of the missing list to peers[(j+round)%n]
	// of a fresh, randomly ordered Peers(): a chunk that one peer lacks is
	// not asked of the others, so with one bystander each round fetches
	// only about half of what is missing and Fetch gives up after
	// 3+len(peers) rounds with chunks still missing.
	bugNoRetryElsewhere = "fetch does not ask another peer for a chunk one peer lacks"
	// Fetch checks a peer's manifest against Want but not one already in
	// the store, which is keyed by root alone.
	bugLocalManifestUnchecked = "fetch trusts a stored manifest without checking it against Want"
)

func knownBug(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("BLOBNET_KNOWN_BUGS") == "" {
		t.Skipf("known bug: %s (BLOBNET_KNOWN_BUGS=1 runs this test)", what)
	}
}
