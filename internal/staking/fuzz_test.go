package staking

import (
	"bytes"
	"testing"
)

// Each decoder must never panic, and whatever it accepts must re-encode to
// exactly the input: one encoding per body, so transaction hashes are
// well defined.

// fuzzBody runs the decode -> encode property for one body type.
func fuzzBody[T interface{ Encode() []byte }](f *testing.F, decode func([]byte) (T, error), seeds ...T) {
	for _, s := range seeds {
		f.Add(s.Encode())
	}
	f.Add([]byte{})
	f.Add([]byte{BodyVersion})
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := decode(data)
		if err != nil {
			return
		}
		if enc := v.Encode(); !bytes.Equal(enc, data) {
			t.Fatalf("accepted a non-canonical encoding:\nin  %x\nout %x", data, enc)
		}
	})
}

func FuzzDecodeTransfer(f *testing.F) {
	fuzzBody(f, DecodeTransfer, Transfer{To: addr(1), Amount: 5}, Transfer{})
}

func FuzzDecodeDelegate(f *testing.F) {
	fuzzBody(f, DecodeDelegate, Delegate{Validator: addr(2), Amount: 1 << 40})
}

func FuzzDecodeUndelegate(f *testing.F) {
	fuzzBody(f, DecodeUndelegate, Undelegate{Validator: addr(3), Amount: 7})
}

func FuzzDecodeWithdraw(f *testing.F) {
	fuzzBody(f, DecodeWithdraw, Withdraw{})
}

func FuzzDecodeUnjail(f *testing.F) {
	fuzzBody(f, DecodeUnjail, Unjail{})
}

func FuzzDecodeCreateValidator(f *testing.F) {
	c, _ := DecodeCreateValidator(createBody(1, 2000, 300))
	fuzzBody(f, DecodeCreateValidator, c)
}

func FuzzDecodeEditValidator(f *testing.F) {
	fuzzBody(f, DecodeEditValidator, EditValidator{Name: "n", NetAddr: "a:1", CommissionBps: KeepCommission}, EditValidator{})
}

func FuzzDecodeEvidence(f *testing.F) {
	fuzzBody(f, DecodeEvidence, equivocation(1, EvidenceVote, 0, 1, 0), equivocation(2, EvidenceProposal, 3, 9, 1))
}

// The state decoder is fed from disk, not peers, but it gets the same
// treatment: no panic, and canonical when it accepts.
func FuzzDecodeState(f *testing.F) {
	f.Add(busyFixture(f).s.Encode())
	f.Add(newFixture(f, testParams(), 1000).s.Encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Decode(data)
		if err != nil {
			return
		}
		if enc := s.Encode(); !bytes.Equal(enc, data) {
			t.Fatalf("accepted a non-canonical state encoding:\nin  %x\nout %x", data, enc)
		}
	})
}
