package audit_test

import (
	"errors"
	"testing"

	"github.com/lazchain/lazchain/internal/audit"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/types"
)

func check(f *fixture, chainID string, data []byte) (*audit.Report, error) {
	b, err := audit.Decode(data)
	if err != nil {
		return nil, err
	}
	return audit.Verify(chainID, f.genesis, b)
}

func TestValidBundleVerifies(t *testing.T) {
	f := newFixture(t)
	data := f.bundle.Encode()
	rep, err := check(f, chain, data)
	if err != nil {
		t.Fatalf("valid bundle rejected: %v", err)
	}
	if rep.Artifact.ID != f.bundle.Artifact || len(rep.Events) != 2 || rep.CertSigned != 3004 || rep.CertTotal != 4006 {
		t.Fatalf("report: artifact %s, %d events, signed %d of %d", rep.Artifact.ID.Short(), len(rep.Events), rep.CertSigned, rep.CertTotal)
	}
	if again, err := audit.Decode(data); err != nil || string(again.Encode()) != string(data) {
		t.Fatalf("bundle does not survive its encoding: %v", err)
	}
}

// Changing any byte of a valid bundle must make the audit fail: every
// field is either checked or covered by something checked.
func TestEveryMutationIsCaught(t *testing.T) {
	f := newFixture(t)
	data := f.bundle.Encode()
	stride := 1
	if testing.Short() {
		stride = 11
	}
	tried, caught := 0, 0
	for i := 0; i < len(data); i += stride {
		for _, mask := range []byte{0x01, 0x80} {
			mut := append([]byte(nil), data...)
			mut[i] ^= mask
			tried++
			if _, err := check(f, chain, mut); err != nil {
				caught++
			} else {
				t.Errorf("flipping bit %#x of byte %d of %d went unnoticed", mask, i, len(data))
			}
		}
	}
	t.Logf("%d mutations of a %d-byte bundle tried, %d caught (%.1f%%)", tried, len(data), caught, 100*float64(caught)/float64(tried))
	if caught != tried {
		t.Fatalf("%d of %d mutations passed the audit", tried-caught, tried)
	}
}

// Bundles that are internally consistent but not this chain's, or that
// smuggle in a validator set, fail the check that names the problem.
func TestForeignAndForgedBundles(t *testing.T) {
	cases := []struct {
		name  string
		check string
		edit  func(f *fixture) (string, []byte)
	}{
		{"another chain id", "chain id", func(f *fixture) (string, []byte) {
			return "other-chain", f.bundle.Encode()
		}},
		{"forged epoch change", "epoch chain", func(f *fixture) (string, []byte) {
			// A new set signed by keys that were never validators.
			forger := newFixture(t)
			forger.keys[0], forger.keys[1], forger.keys[2] = forger.keys[3], forger.keys[3], forger.keys[3]
			e, _ := state.DecodeEpoch(f.bundle.Epochs[0].Epoch)
			e.Set[0].Power = 1 << 40
			c := &types.EpochCert{Change: e.Change(), Signers: f.signers(0, 1, 2)}
			c.Sig = forger.sign(t, c.Change.SigningBytes(chain), 0)
			f.bundle.Epochs[0] = audit.EpochStep{Epoch: state.EncodeEpoch(e), Cert: types.EncodeEpochCert(c)}
			return chain, f.bundle.Encode()
		}},
		{"missing epoch change", "epoch chain", func(f *fixture) (string, []byte) {
			f.bundle.Epochs = nil
			return chain, f.bundle.Encode()
		}},
		{"history left out", "history", func(f *fixture) (string, []byte) {
			f.bundle.Events = f.bundle.Events[:1]
			return chain, f.bundle.Encode()
		}},
		{"duplicated record", "state proof", func(f *fixture) (string, []byte) {
			f.bundle.Records = append(f.bundle.Records, f.bundle.Records[0])
			return chain, f.bundle.Encode()
		}},
		{"certificate of another block", "commit certificate", func(f *fixture) (string, []byte) {
			f.bundle.Header.Proposer = 3
			return chain, f.bundle.Encode()
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			id, data := tc.edit(f)
			_, err := check(f, id, data)
			var ce *audit.CheckError
			if !errors.As(err, &ce) || ce.Check != tc.check {
				t.Fatalf("got %v, want a failed %q check", err, tc.check)
			}
		})
	}
}

// Decoding never panics, and whatever it accepts re-encodes to exactly
// the input.
func FuzzDecodeBundle(f *testing.F) {
	fx := newFixture(f)
	f.Add(fx.bundle.Encode())
	f.Add([]byte("LZAB\x01"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := audit.Decode(data)
		if err != nil {
			return
		}
		if enc := b.Encode(); string(enc) != string(data) {
			t.Fatalf("accepted a non-canonical bundle of %d bytes", len(data))
		}
	})
}
