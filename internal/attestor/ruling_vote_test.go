package attestor

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

func sampleRulingVote() RulingVote {
	bad := verify.Invalid("row 3: column %q: %q is not an int", "age", "x")
	return RulingVote{Dispute: types.Hash{0xD1}, Epoch: 7, Signer: 2, ForChallenger: true, Verdict: false,
		Digest: bad.Digest, Sig: bytes.Repeat([]byte{9}, types.MaxSignatureSize), Reason: bad.Reason}
}

func TestRulingVoteRoundTrips(t *testing.T) {
	u := idao.UnavailableResult
	for name, v := range map[string]RulingVote{
		"for, invalid":     sampleRulingVote(),
		"against, valid":   {Dispute: types.Hash{1}, Epoch: 0, Signer: 0, Verdict: true, Digest: types.Hash{2}, Sig: []byte{1}},
		"for, unavailable": {Dispute: types.Hash{3}, Epoch: 1 << 40, Signer: 99, ForChallenger: true, Digest: u.Digest, Sig: []byte{1, 2}, Reason: u.Reason},
	} {
		t.Run(name, func(t *testing.T) {
			enc := v.Encode()
			if len(enc) > maxRulingVoteSize || enc[0] != msgRulingVote {
				t.Fatalf("encoding: %d bytes, type %d", len(enc), enc[0])
			}
			got, err := DecodeRulingVote(enc)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Encode(), enc) || got.key() != v.key() || got.Signer != v.Signer || got.Reason != v.Reason {
				t.Fatalf("round trip changed the vote: %+v vs %+v", got, v)
			}
			for i := range enc {
				if _, err := DecodeRulingVote(enc[:i]); err == nil {
					t.Fatalf("truncated at %d decodes", i)
				}
			}
		})
	}
}

// TestRulingVoteRejects: every way to bend the wire form is refused, with
// an error that says which.
func TestRulingVoteRejects(t *testing.T) {
	good := sampleRulingVote().Encode()
	// Offsets of the fields after the type byte.
	const offFor, offVerdict, offSig = 1 + 32 + 8 + 4, 1 + 32 + 8 + 4 + 1, 1 + 32 + 8 + 4 + 1 + 1 + 32
	set := func(off int, b ...byte) []byte {
		out := append([]byte(nil), good...)
		copy(out[off:], b)
		return out
	}
	with := func(f func(*RulingVote)) []byte {
		v := sampleRulingVote()
		f(&v)
		return v.Encode()
	}
	tests := []struct {
		name string
		b    []byte
		want error // nil: any error
		text string
	}{
		{"empty", nil, codec.ErrShort, ""},
		{"artifact vote type", set(0, msgVote), codec.ErrVersion, ""},
		{"batch vote type", set(0, msgBatchVote), codec.ErrVersion, ""},
		{"unknown type", set(0, 4), codec.ErrVersion, ""},
		{"bool for_challenger 2", set(offFor, 2), codec.ErrInvalid, "bool"},
		{"bool verdict 255", set(offVerdict, 255), codec.ErrInvalid, "bool"},
		{"signature over 48 bytes", set(offSig, 0, 0, 0, 49), codec.ErrTooLong, ""},
		{"signature length past the end", set(offSig, 0, 0, 0, 48+50), nil, ""},
		{"trailing byte", append(append([]byte(nil), good...), 0), codec.ErrTrailing, ""},
		{"no signature", with(func(v *RulingVote) { v.Sig = nil }), codec.ErrInvalid, "no signature"},
		{"reason does not hash to digest", with(func(v *RulingVote) { v.Reason += "!" }), errRulingReason, ""},
		{"invalid verdict without reason", with(func(v *RulingVote) { v.Reason = "" }), errRulingReason, ""},
		{"valid verdict with reason", with(func(v *RulingVote) { v.Verdict = true }), errRulingReason, ""},
		{"reason over MaxText", with(func(v *RulingVote) {
			// Built by hand: verify.Invalid clips reasons to fit.
			v.Reason = strings.Repeat("x", idao.MaxText+1)
		}), codec.ErrTooLong, ""},
		{"oversized payload", append(append([]byte(nil), good...), make([]byte, maxRulingVoteSize)...), codec.ErrTooLong, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeRulingVote(tc.b)
			if err == nil {
				t.Fatal("decodes")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), "ruling vote") || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("err %q does not say what was wrong", err)
			}
		})
	}
	// The artifact-vote decoder refuses a ruling vote rather than misread it.
	if _, err := DecodeVote(good); err == nil {
		t.Fatal("DecodeVote accepts a ruling vote")
	}
}

func FuzzDecodeRulingVote(f *testing.F) {
	f.Add(sampleRulingVote().Encode())
	f.Add(RulingVote{Verdict: true, Sig: []byte{1}}.Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := DecodeRulingVote(b)
		if err != nil {
			return
		}
		if !bytes.Equal(v.Encode(), b) {
			t.Fatalf("decoded ruling vote re-encodes differently")
		}
		if !reasonFits(v.Verdict, v.Digest, v.Reason) || len(v.Sig) == 0 {
			t.Fatalf("decoded a vote the chain would refuse: %+v", v)
		}
	})
}
