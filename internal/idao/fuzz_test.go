package idao

import (
	"bytes"
	"testing"

	"github.com/lazchain/lazchain/internal/types"
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
	f.Add(uint8(7), Challenge{Claim: ClaimWrongDigest, Bond: 5, Proof: &FraudProof{Index: 1, Chunk: []byte{1}, Path: []types.Hash{{2}}}, Note: "n"}.Encode())
	f.Add(uint8(7), Challenge{Claim: ClaimUnavailable}.Encode())
	f.Add(uint8(8), Ruling{ForChallenger: true, Reason: "r", Epoch: 2, Signers: []byte{7}, Sig: []byte{1}}.Encode())
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		var again []byte
		switch which % 9 {
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
		case 7:
			if v, err := DecodeChallenge(b); err == nil {
				again = v.Encode()
			}
		case 8:
			if v, err := DecodeRuling(b); err == nil {
				again = v.Encode()
			}
		}
		if again != nil && !bytes.Equal(again, b) {
			t.Fatalf("decoded body re-encodes differently:\n%x\n%x", b, again)
		}
	})
}

// FuzzState decodes arbitrary state blobs, seeded with one that has open
// disputes: none may panic, and whatever decodes survives its own
// encoding unchanged (the state machine clones the state that way).
func FuzzState(f *testing.F) {
	s, _ := New("c", DefaultParams())
	f.Add(s.Encode())
	s.open[types.Hash{1}] = 40
	s.open[types.Hash{2}] = 30
	f.Add(s.Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := Decode(b)
		if err != nil {
			return
		}
		enc := st.Encode()
		back, err := Decode(enc)
		if err != nil {
			t.Fatalf("a decoded state does not decode after encoding: %v", err)
		}
		if !bytes.Equal(back.Encode(), enc) {
			t.Fatal("encoding a decoded state is not a fixed point")
		}
	})
}

// FuzzDispute: a dispute record never panics the decoder, and whatever
// decodes re-encodes to the same bytes.
func FuzzDispute(f *testing.F) {
	f.Add((&Dispute{Claim: ClaimWrongVerdict, Status: DisputeOpen, Note: "n", Proof: &FraudProof{Chunk: []byte{1}, Path: []types.Hash{{3}}}}).Encode())
	f.Add((&Dispute{Claim: ClaimUnavailable, Status: DisputeUpheld, Ruling: &Judgment{Reason: "r", Signers: []byte{1}, Sig: []byte{2}, Slashed: 9}}).Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDispute(b)
		if err != nil {
			return
		}
		if again := d.Encode(); !bytes.Equal(again, b) {
			t.Fatalf("decoded dispute re-encodes differently:\n%x\n%x", b, again)
		}
	})
}
