package idao

import (
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

// A jailed validator keeps its seat but may not sign: a certificate with
// its bit is refused, and the same artifact certified without it lands.
func TestJailedMemberMayNotSign(t *testing.T) {
	w := newWorld(t, disputeStakes...)
	w.create("q", DefaultPolicy(), 0, 1, 2, 3)
	rot, _ := w.st.Rotation()
	sub := sampleSubmit("q", 1)
	if code := w.exec(op(99), KindSubmit, sub.Encode()); code != 0 {
		t.Fatalf("submit: %s", code)
	}
	a := mustArtifact(t, w, ArtifactID(sub))
	w.stake.Slash(nil, w.height, op(0), 0, true, nil)
	if v, _ := w.stake.Validator(op(0)); !v.Jailed {
		t.Fatal("validator 0 not jailed")
	}
	if code := w.exec(op(1), KindAttest, w.certify(a, rot, true, types.Hash{0xC0}, 0, 1, 3).Encode()); code != BadCertificate {
		t.Fatalf("certificate signed by jailed member 0: code %s, want %s", code, BadCertificate)
	}
	if got := mustArtifact(t, w, a.ID); got.Status != Pending {
		t.Fatalf("refused certificate changed the artifact: %s", got.Status)
	}
	if code := w.exec(op(1), KindAttest, w.certify(a, rot, true, types.Hash{0xC0}, 1, 2, 3).Encode()); code != 0 {
		t.Fatalf("certificate without the jailed member: %s", code)
	}
}
