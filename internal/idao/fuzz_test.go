package idao

import (
	"bytes"
	"testing"
)

// FuzzBodies feeds arbitrary bytes to every body decoder: none may panic,
// and whatever decodes must re-encode to the same bytes (one encoding per
// value, so a transaction's hash names one meaning).
func FuzzBodies(f *testing.F) {
	f.Add(uint8(0), Create{Name: "x", Policy: DefaultPolicy()}.Encode())
	f.Add(uint8(1), Propose{IDAO: "x", Action: AddMember, Policy: DefaultPolicy()}.Encode())
	f.Add(uint8(2), Vote{IDAO: "x", Proposal: 1, Yes: true}.Encode())
	f.Add(uint8(3), sampleSubmit("x", 1).Encode())
	f.Add(uint8(4), Attest{Signers: []byte{7}, Sig: []byte{1, 2}, Reason: "r"}.Encode())
	f.Add(uint8(5), Beacon{Rotation: 3, Sig: []byte{9}}.Encode())
	f.Add(uint8(6), AttestBatch{Key: BatchKey{IDAO: "x", Height: 2}, Entries: []Entry{{Verdict: true}, {Reason: "r"}}, Signers: []byte{3}, Sig: []byte{1}}.Encode())
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		var again []byte
		switch which % 7 {
		case 0:
			if v, err := DecodeCreate(b); err == nil {
				again = v.Encode()
			}
		case 1:
			if v, err := DecodePropose(b); err == nil {
				again = v.Encode()
			}
		case 2:
			if v, err := DecodeVote(b); err == nil {
				again = v.Encode()
			}
		case 3:
			if v, err := DecodeSubmit(b); err == nil {
				again = v.Encode()
			}
		case 4:
			if v, err := DecodeAttest(b); err == nil {
				again = v.Encode()
			}
		case 5:
			if v, err := DecodeBeacon(b); err == nil {
				again = v.Encode()
			}
		case 6:
			if v, err := DecodeAttestBatch(b); err == nil {
				again = v.Encode()
			}
		}
		if again != nil && !bytes.Equal(again, b) {
			t.Fatalf("decoded body re-encodes differently:\n%x\n%x", b, again)
		}
	})
}

func FuzzState(f *testing.F) {
	s, _ := New("c", DefaultParams())
	f.Add(s.Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		if st, err := Decode(b); err == nil {
			st.Encode()
		}
	})
}
