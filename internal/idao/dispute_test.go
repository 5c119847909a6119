package idao

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

func TestChallengeOpensDispute(t *testing.T) {
	f := newFixture(t)
	before := f.bank.Balance(challenger)
	ch := Challenge{Artifact: f.a.ID, Claim: ClaimWrongVerdict, Bond: testBond, Proof: f.proof(3), Note: "row 2 is not an int"}
	if code := f.exec(challenger, KindChallenge, ch.Encode()); code != 0 {
		t.Fatalf("challenge: %s", code)
	}
	id := DisputeID(f.a.ID, ClaimWrongVerdict)
	d := f.dispute(id)
	want := Dispute{ID: id, Artifact: f.a.ID, IDAO: "q", Claim: ClaimWrongVerdict, Challenger: challenger, Bond: testBond,
		Opened: 3, Deadline: 23, CertVerdict: true, CertDigest: certDigest, Note: ch.Note, Status: DisputeOpen}
	want.Proof = ch.Proof
	if !bytes.Equal(d.Encode(), want.Encode()) {
		t.Fatalf("dispute record\n%+v\nwant\n%+v", d, want)
	}
	a := mustArtifact(t, f.world, f.a.ID)
	if a.Status != Disputed || len(a.Disputes) != 1 || a.Disputes[0] != id || !a.Settled() {
		t.Fatalf("artifact %s disputes %x", a.Status, a.Disputes)
	}
	if got := f.st.OpenDisputes(); len(got) != 1 || got[0] != (OpenDispute{ID: id, Deadline: 23}) {
		t.Fatalf("open disputes %v", got)
	}
	if f.bank.Balance(challenger) != before-testBond || f.bank.Balance(DisputeEscrow) != testBond {
		t.Fatalf("bond not escrowed: challenger %d escrow %d", f.bank.Balance(challenger), f.bank.Balance(DisputeEscrow))
	}
	if ev := f.events("dispute.opened"); len(ev) != 1 || ev[0].Artifact != f.a.ID || !strings.Contains(ev[0].Detail, "claim wrong-verdict") {
		t.Fatalf("events %v", ev)
	}
	// Another claim over the same artifact may be open at the same time.
	f.open(rival, ClaimWrongDigest)
	if a := mustArtifact(t, f.world, f.a.ID); a.Status != Disputed || len(a.Disputes) != 2 || len(f.st.OpenDisputes()) != 2 {
		t.Fatalf("second claim: %s %x", a.Status, a.Disputes)
	}
	if f.bank.Balance(DisputeEscrow) != 2*testBond {
		t.Fatalf("escrow %d", f.bank.Balance(DisputeEscrow))
	}
	f.checkSupply()
}

// Every refused challenge names its reason and changes nothing.
func TestChallengeRejections(t *testing.T) {
	wrong := verify.Invalid("row 1: bad")
	cases := []struct {
		name   string
		setup  func(f *fixture)
		sender int // op(sender); 99 is the funded challenger
		body   func(f *fixture) Challenge
		want   Code
	}{
		{"unknown artifact", nil, 99, func(f *fixture) Challenge { return chal(types.Hash{9}, ClaimWrongVerdict, nil) }, UnknownArtifact},
		{"pending artifact", func(f *fixture) { f.exec(op(99), KindSubmit, sampleSubmit("q", 2).Encode()) }, 99,
			func(f *fixture) Challenge { return chal(ArtifactID(sampleSubmit("q", 2)), ClaimWrongVerdict, nil) }, NotChallengeable},
		{"window closed", func(f *fixture) { f.height = f.a.ChallengeEnd + 1 }, 99,
			func(f *fixture) Challenge { return chal(f.a.ID, ClaimWrongVerdict, nil) }, WindowClosed},
		{"wrong bond", nil, 99, func(f *fixture) Challenge {
			c := chal(f.a.ID, ClaimWrongVerdict, nil)
			c.Bond--
			return c
		}, WrongBond},
		{"insufficient balance", nil, 50, func(f *fixture) Challenge { return chal(f.a.ID, ClaimWrongVerdict, nil) }, InsufficientFunds},
		{"no claim", nil, 99, func(f *fixture) Challenge { return chal(f.a.ID, 0, nil) }, BadBody},
		{"unknown claim", nil, 99, func(f *fixture) Challenge { return chal(f.a.ID, 4, nil) }, BadBody},
		{"duplicate claim while open", func(f *fixture) { f.open(rival, ClaimWrongDigest) }, 99,
			func(f *fixture) Challenge { return chal(f.a.ID, ClaimWrongDigest, nil) }, DuplicateDispute},
		{"bad fraud-proof path", nil, 99, func(f *fixture) Challenge {
			p := f.proof(1)
			p.Path[0][0] ^= 1
			return chal(f.a.ID, ClaimWrongVerdict, p)
		}, BadFraudProof},
		{"chunk of another index", nil, 99, func(f *fixture) Challenge {
			p := f.proof(1)
			p.Chunk = f.chunks[0]
			return chal(f.a.ID, ClaimWrongVerdict, p)
		}, BadFraudProof},
		{"chunk index past the end", nil, 99, func(f *fixture) Challenge {
			p := f.proof(3)
			p.Index = 4
			return chal(f.a.ID, ClaimWrongVerdict, p)
		}, BadFraudProof},
		{"fraud proof longer than the chunk", nil, 99, func(f *fixture) Challenge {
			p := f.proof(0)
			p.Chunk = append(p.Chunk, 0)
			return chal(f.a.ID, ClaimWrongVerdict, p)
		}, BadFraudProof},
		{"fraud proof over 1 MiB", nil, 99, func(f *fixture) Challenge {
			p := f.proof(0)
			p.Chunk = make([]byte, MaxProofChunk+1)
			return chal(f.a.ID, ClaimWrongVerdict, p)
		}, BadBody},
		{"note too long", nil, 99, func(f *fixture) Challenge {
			c := chal(f.a.ID, ClaimWrongVerdict, nil)
			c.Note = strings.Repeat("n", MaxNote+1)
			return c
		}, BadBody},
		{"re-open after a ruling", func(f *fixture) {
			id := f.open(rival, ClaimWrongVerdict)
			if code := f.exec(op(9), KindRuling, f.rule(id, false, true, certDigest, "", 0, 1, 2, 3).Encode()); code != 0 {
				f.t.Fatalf("ruling: %s", code)
			}
		}, 99, func(f *fixture) Challenge { return chal(f.a.ID, ClaimWrongVerdict, nil) }, DisputeClosed},
		{"re-open after expiry", func(f *fixture) {
			f.open(rival, ClaimUnavailable)
			f.advance(f.height + 21)
		}, 99, func(f *fixture) Challenge { return chal(f.a.ID, ClaimUnavailable, nil) }, DisputeClosed},
		{"overturned artifact", func(f *fixture) {
			id := f.open(rival, ClaimWrongVerdict)
			if code := f.exec(op(9), KindRuling, f.rule(id, true, false, wrong.Digest, wrong.Reason, 0, 1, 2, 3).Encode()); code != 0 {
				f.t.Fatalf("ruling: %s", code)
			}
		}, 99, func(f *fixture) Challenge { return chal(f.a.ID, ClaimWrongDigest, nil) }, NotChallengeable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			if tc.setup != nil {
				tc.setup(f)
			}
			before := f.snapshot()
			if code := f.exec(op(tc.sender), KindChallenge, tc.body(f).Encode()); code != tc.want {
				t.Fatalf("code %s, want %s", code, tc.want)
			}
			if !bytes.Equal(before, f.snapshot()) {
				t.Fatal("a refused challenge changed the state")
			}
		})
	}
}

func chal(id types.Hash, c Claim, p *FraudProof) Challenge {
	return Challenge{Artifact: id, Claim: c, Bond: testBond, Proof: p}
}

func TestDisputeRecordRoundTrips(t *testing.T) {
	f := newFixture(t)
	id := f.open(challenger, ClaimWrongVerdict)
	f.exec(op(9), KindRuling, f.rule(id, false, true, certDigest, "", 0, 1, 2, 3).Encode())
	withProof := *f.dispute(id)
	withProof.Proof, withProof.Note = f.proof(2), "see chunk 2"
	for _, d := range []*Dispute{f.dispute(id), &withProof, {ID: types.Hash{1}, Claim: ClaimUnavailable, Status: DisputeOpen}} {
		enc := d.Encode()
		back, err := DecodeDispute(enc)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back.Encode(), enc) {
			t.Fatal("decode(encode(d)) differs")
		}
		for i := range enc {
			if _, err := DecodeDispute(enc[:i]); err == nil {
				t.Fatalf("truncated at %d decodes", i)
			}
		}
	}
	bad := (&Dispute{Claim: ClaimUnavailable, Status: DisputeSuperseded + 1}).Encode()
	if _, err := DecodeDispute(bad); err == nil {
		t.Fatal("an unknown status decodes")
	}
}

func TestStateWithOpenDisputesRoundTrips(t *testing.T) {
	f := newFixture(t)
	f.open(challenger, ClaimWrongVerdict)
	f.height++
	f.open(rival, ClaimUnavailable)
	enc := f.st.Encode()
	back, err := Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Encode(), enc) || len(back.OpenDisputes()) != 2 {
		t.Fatal("decode(encode(s)) differs")
	}
	for i := range enc {
		if _, err := Decode(enc[:i]); err == nil {
			t.Fatalf("truncated at %d decodes", i)
		}
	}
}

func TestParamsValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Params)
		ok   bool
	}{
		{"default", func(*Params) {}, true},
		{"no ruling period", func(p *Params) { p.RulingBlocks = 0 }, false},
		{"no slashing", func(p *Params) { p.SlashBps = 0 }, true},
		{"slash everything", func(p *Params) { p.SlashBps = 10_000 }, true},
		{"slash more than everything", func(p *Params) { p.SlashBps = 10_001 }, false},
	} {
		p := DefaultParams()
		tc.edit(&p)
		if err := p.Validate(); (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// A policy's challenge window is bounded: at 2^64-1 its end wrapped to
// before the attestation and every verdict was final at once; at 0 a
// verdict could not be disputed at all.
func TestPolicyChallengeWindowBounded(t *testing.T) {
	for _, tc := range []struct {
		window uint64
		ok     bool
	}{
		{0, false}, {1, true}, {100, true}, {MaxChallengeWindow, true}, {MaxChallengeWindow + 1, false}, {math.MaxUint64, false},
	} {
		p := DefaultPolicy()
		p.ChallengeWindow = tc.window
		if err := p.Validate(); (err == nil) != tc.ok {
			t.Errorf("window %d: %v", tc.window, err)
		}
	}
}

// A dispute opened in the window's last block may be ruled on in its
// deadline block, so the signers' stake stays slashable through that
// block: it was freed at it, and a signer that withdrew there first kept
// its whole stake although the ruling went against its certificate.
func TestSignersSlashableThroughTheRulingDeadline(t *testing.T) {
	f := newFixtureWindow(t, 400) // attested at 2: disputes until 402
	sctx := func() staking.Ctx { return staking.Ctx{Bank: f.bank, Height: f.height} }
	if err := f.stake.Exec(sctx(), op(3), staking.KindUndelegate, staking.Undelegate{Validator: op(3), Amount: 30_000}.Encode()); err != nil {
		t.Fatalf("undelegate: %v", err)
	}
	f.advance(402)
	id := f.open(challenger, ClaimWrongVerdict)
	dp := f.dispute(id)
	f.advance(dp.Deadline)
	before := f.bank.Balance(op(3))
	if err := f.stake.Exec(sctx(), op(3), staking.KindWithdraw, staking.Withdraw{}.Encode()); err == nil {
		t.Fatalf("a signer withdrew %d at the ruling deadline %d", f.bank.Balance(op(3))-before, dp.Deadline)
	}
	truth := verify.Invalid("row 2: column %q: %q is not an int", "a", "x")
	u := f.rule(id, true, false, truth.Digest, truth.Reason, 0, 1, 2, 3)
	if code := f.exec(op(9), KindRuling, u.Encode()); code != 0 {
		t.Fatalf("ruling: %s", code)
	}
	if st := f.dispute(id).Status; st != DisputeUpheld {
		t.Fatalf("dispute %s, want upheld", st)
	}
	entries := f.stake.Unbonding(op(3))
	if len(entries) != 1 || entries[0].Amount >= 30_000 {
		t.Fatalf("signer's unbonding after the ruling: %+v, want it slashed", entries)
	}
}
