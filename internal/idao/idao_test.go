package idao

import (
	"bytes"
	"slices"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

func TestCreateChecksEverything(t *testing.T) {
	bad := DefaultPolicy()
	bad.ThresholdNum = 1 // 1/3 is below one half
	cases := []struct {
		name   string
		sender int
		body   Create
		want   Code
	}{
		{"bad name", 0, Create{Name: "Bad Name", Policy: DefaultPolicy(), Members: []staking.Address{op(0)}}, BadName},
		{"bad policy", 0, Create{Name: "x", Policy: bad, Members: []staking.Address{op(0)}}, BadPolicy},
		{"no members", 0, Create{Name: "x", Policy: DefaultPolicy()}, BadBody},
		{"duplicate member", 0, Create{Name: "x", Policy: DefaultPolicy(), Members: []staking.Address{op(0), op(0)}}, BadBody},
		{"not a validator", 0, Create{Name: "x", Policy: DefaultPolicy(), Members: []staking.Address{op(0), op(7)}}, NotValidator},
		{"founder not a member", 2, Create{Name: "x", Policy: DefaultPolicy(), Members: []staking.Address{op(0), op(1)}}, NotMember},
		{"taken", 0, Create{Name: "taken", Policy: DefaultPolicy(), Members: []staking.Address{op(0)}}, NameTaken},
	}
	w := newWorld(t, 100, 100, 100)
	w.create("taken", DefaultPolicy(), 0)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := w.st.Encode()
			if got := w.exec(op(tc.sender), KindCreate, tc.body.Encode()); got != tc.want {
				t.Fatalf("code %s, want %s", got, tc.want)
			}
			if !bytes.Equal(before, w.st.Encode()) {
				t.Fatal("a failed create changed the state")
			}
		})
	}
	if code := w.exec(op(0), KindCreate, []byte{1, 2, 3}); code != BadBody {
		t.Fatalf("malformed body: %s", code)
	}
}

func TestCommitteeDrawIsReproducibleAndStakeWeighted(t *testing.T) {
	var pool []Seat
	for i := 0; i < 10; i++ {
		pool = append(pool, Seat{Operator: op(i), Power: uint64(1 + i*i*100)})
	}
	seed := types.Hash{7}
	a, b := Draw(seed, "x", pool, 4), Draw(seed, "x", pool, 4)
	if len(a) != 4 || !seatsEqual(a, b) {
		t.Fatalf("draw not reproducible: %v vs %v", a, b)
	}
	if seatsEqual(a, Draw(types.Hash{8}, "x", pool, 4)) && seatsEqual(a, Draw(types.Hash{9}, "x", pool, 4)) {
		t.Fatal("the seed does not change the draw")
	}
	// Over many seeds the heaviest member is drawn far more often than the
	// lightest.
	count := map[staking.Address]int{}
	for s := 0; s < 400; s++ {
		for _, seat := range Draw(types.Hash{byte(s), byte(s >> 8)}, "x", pool, 2) {
			count[seat.Operator]++
		}
	}
	if count[op(9)] < 5*count[op(0)]+20 {
		t.Fatalf("heaviest drawn %d times, lightest %d", count[op(9)], count[op(0)])
	}
	if got := Draw(seed, "x", pool[:2], 4); len(got) != 2 {
		t.Fatalf("a pool smaller than the committee gives %d seats", len(got))
	}
}

func seatsEqual(a, b []Seat) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Operator != b[i].Operator {
			return false
		}
	}
	return true
}

func TestSubmitAndAttest(t *testing.T) {
	w := newWorld(t, 100, 100, 100, 100)
	p := DefaultPolicy()
	p.SubmitFee = 10
	w.create("q", p, 0, 1, 2, 3)
	sub := sampleSubmit("q", 1)
	sub.Fee = 10
	if code := w.exec(op(99), KindSubmit, sub.Encode()); code != 0 {
		t.Fatalf("submit: %s", code)
	}
	if code := w.exec(op(99), KindSubmit, sub.Encode()); code != DuplicateArtifact {
		t.Fatalf("second submit: %s", code)
	}
	id := ArtifactID(sub)
	a, _ := w.rec.Artifact(id)
	if a.Status != Pending || len(w.st.Pending()) != 1 {
		t.Fatalf("artifact not pending: %+v", a)
	}
	digest := types.Hash{0xD}
	tooFew := w.certify(a, 0, true, digest, 0, 1)
	if code := w.exec(op(99), KindAttest, tooFew.Encode()); code != BadCertificate {
		t.Fatalf("2 of 4 signers: %s", code)
	}
	forged := w.certify(a, 0, true, digest, 0, 1, 2)
	forged.Digest = types.Hash{0xE} // the signatures were over another digest
	if code := w.exec(op(99), KindAttest, forged.Encode()); code != BadCertificate {
		t.Fatalf("forged digest: %s", code)
	}
	wrongRot := w.certify(a, 0, true, digest, 0, 1, 2)
	wrongRot.Rotation = 5
	if code := w.exec(op(99), KindAttest, wrongRot.Encode()); code != UnknownRotation {
		t.Fatalf("unknown rotation: %s", code)
	}
	good := w.certify(a, 0, true, digest, 0, 1, 2)
	if code := w.exec(op(5), KindAttest, good.Encode()); code != 0 {
		t.Fatalf("good certificate: %s", code)
	}
	a, _ = w.rec.Artifact(id)
	if a.Status != Attested || !a.Verdict || a.Digest != digest || a.SignedPower != 300 || a.CommitteePower != 400 {
		t.Fatalf("attested record wrong: %+v", a)
	}
	if len(w.st.Pending()) != 0 {
		t.Fatal("attested artifact still pending")
	}
	if code := w.exec(op(5), KindAttest, w.certify(a, 0, false, digest, 0, 1, 2, 3).Encode()); code != AlreadyAttested {
		t.Fatalf("second certificate: %s", code)
	}
	// The fee went from the submitter through escrow to the three signers.
	if w.bank.Balance(Escrow) != 0 || w.bank.Balance(op(99)) != 1_000_000-10 || w.bank.Balance(op(0)) != 1_000_000+4 {
		t.Fatalf("fee not paid out: escrow %d submitter %d signer0 %d", w.bank.Balance(Escrow), w.bank.Balance(op(99)), w.bank.Balance(op(0)))
	}
}

func TestCertificateByNonMembersIsRejected(t *testing.T) {
	w := newWorld(t, 100, 100, 100, 100, 100)
	p := DefaultPolicy()
	p.CommitteeSize = 3
	w.create("q", p, 0, 1, 2)
	sub := sampleSubmit("q", 2)
	w.exec(op(99), KindSubmit, sub.Encode())
	a, _ := w.rec.Artifact(ArtifactID(sub))
	c, _ := w.st.Committee("q", 0)
	// Validators 3 and 4 are not members: their signatures over the seats
	// of real members do not verify.
	msg := VoteBytes(testChain, "q", a.ID, true, types.Hash{}, 0)
	agg, _ := (bls.Scheme{}).Aggregate([][]byte{blsKey(3).Sign(msg), blsKey(4).Sign(msg), blsKey(0).Sign(msg)})
	bm := types.NewBitmap(len(c.Seats))
	bm.Set(0)
	bm.Set(1)
	bm.Set(2)
	at := Attest{Artifact: a.ID, Verdict: true, Rotation: 0, Signers: bm, Sig: agg}
	if code := w.exec(op(3), KindAttest, at.Encode()); code != BadCertificate {
		t.Fatalf("non-member certificate: %s", code)
	}
	big := types.NewBitmap(len(c.Seats) + 8)
	at.Signers = big
	if code := w.exec(op(3), KindAttest, at.Encode()); code != BadCertificate {
		t.Fatalf("oversized bitmap: %s", code)
	}
}

func TestSubmitChecks(t *testing.T) {
	w := newWorld(t, 100)
	p := DefaultPolicy()
	p.Kinds = []verify.Kind{verify.KindDataset}
	p.SubmitFee = 5
	w.create("q", p, 0)
	mut := []struct {
		name string
		f    func(*Submit)
		want Code
	}{
		{"unknown idao", func(s *Submit) { s.IDAO = "nope" }, UnknownIDAO},
		{"kind", func(s *Submit) { s.Kind = verify.KindModel; s.Format = "safetensors" }, KindRejected},
		{"fee", func(s *Submit) { s.Fee = 4 }, WrongFee},
		{"size", func(s *Submit) { s.Size = 0 }, BadArtifact},
		{"chunk", func(s *Submit) { s.ChunkSize = 1 }, BadArtifact},
		{"too many chunks", func(s *Submit) { s.ChunkSize = MinChunkSize; s.Size = MinChunkSize*MaxArtifactChunks + 1 }, BadArtifact},
		{"format", func(s *Submit) { s.Format = "xlsx" }, BadArtifact},
		{"root", func(s *Submit) { s.Root = types.Hash{} }, BadArtifact},
	}
	for _, m := range mut {
		t.Run(m.name, func(t *testing.T) {
			s := sampleSubmit("q", 3)
			s.Fee = 5
			m.f(&s)
			if code := w.exec(op(99), KindSubmit, s.Encode()); code != m.want {
				t.Fatalf("code %s, want %s", code, m.want)
			}
		})
	}
	poor := sampleSubmit("q", 3)
	poor.Fee = 5
	if code := w.exec(op(50), KindSubmit, poor.Encode()); code != InsufficientFunds {
		t.Fatalf("poor submitter: %s", code)
	}
	if len(w.rec.arts) != 0 {
		t.Fatal("a failed submit stored a record")
	}
}

func TestProposalsPassByMemberStake(t *testing.T) {
	w := newWorld(t, 100, 100, 100, 500)
	w.create("q", DefaultPolicy(), 0, 1, 2)
	add := Propose{IDAO: "q", Action: AddMember, Member: op(3)}
	if code := w.exec(op(3), KindPropose, add.Encode()); code != NotMember {
		t.Fatalf("non-member proposes: %s", code)
	}
	if code := w.exec(op(0), KindPropose, add.Encode()); code != 0 {
		t.Fatalf("propose: %s", code)
	}
	d, _ := w.st.IDAO("q")
	if d.IsMember(op(3)) {
		t.Fatal("enacted with one third of the stake")
	}
	w.exec(op(1), KindVote, Vote{IDAO: "q", Proposal: 1, Yes: true}.Encode())
	if d.IsMember(op(3)) {
		t.Fatal("enacted at exactly two thirds")
	}
	if code := w.exec(op(1), KindVote, Vote{IDAO: "q", Proposal: 1, Yes: true}.Encode()); code != AlreadyVoted {
		t.Fatalf("double vote: %s", code)
	}
	if code := w.exec(op(2), KindVote, Vote{IDAO: "q", Proposal: 1, Yes: true}.Encode()); code != 0 {
		t.Fatalf("vote: %s", code)
	}
	if !d.IsMember(op(3)) {
		t.Fatal("not enacted with all the stake")
	}
	// Validator 3 now holds 500 of 800: it cannot dissolve alone, and the
	// proposal expires after the voting period.
	w.exec(op(3), KindPropose, Propose{IDAO: "q", Action: Dissolve}.Encode())
	if d.Dissolved {
		t.Fatal("dissolved by 5/8")
	}
	w.height += 51
	w.st.ExpireProposals(w.height)
	if code := w.exec(op(0), KindVote, Vote{IDAO: "q", Proposal: 2, Yes: true}.Encode()); code != UnknownProposal {
		t.Fatalf("vote on an expired proposal: %s", code)
	}
	w.exec(op(3), KindPropose, Propose{IDAO: "q", Action: Dissolve}.Encode())
	w.exec(op(0), KindVote, Vote{IDAO: "q", Proposal: 3, Yes: true}.Encode())
	if !d.Dissolved {
		t.Fatal("not dissolved by 600/800")
	}
	if code := w.exec(op(99), KindSubmit, sampleSubmit("q", 4).Encode()); code != Dissolved {
		t.Fatalf("submit to a dissolved idao: %s", code)
	}
}

func TestBeaconMixesAndRotates(t *testing.T) {
	w := newWorld(t, 100, 100, 100)
	w.create("q", DefaultPolicy(), 0, 1, 2)
	contribute := func(i int, r uint64) Code {
		return w.exec(op(9), KindBeacon, Beacon{Rotation: r, Validator: op(i), Sig: blsKey(i).Sign(BeaconBytes(testChain, r))}.Encode())
	}
	if code := contribute(0, 2); code != BadBeacon {
		t.Fatalf("wrong rotation: %s", code)
	}
	forged := Beacon{Rotation: 1, Validator: op(0), Sig: blsKey(1).Sign(BeaconBytes(testChain, 1))}
	if code := w.exec(op(9), KindBeacon, forged.Encode()); code != BadBeacon {
		t.Fatalf("another key's signature: %s", code)
	}
	acc0 := w.st.acc
	if code := contribute(0, 1); code != 0 {
		t.Fatalf("contribute: %s", code)
	}
	if code := contribute(0, 1); code != DuplicateBeacon {
		t.Fatalf("second contribution: %s", code)
	}
	if w.st.acc == acc0 {
		t.Fatal("contribution did not change the accumulator")
	}
	want := w.st.acc
	w.advance(11)
	r, seed := w.st.Rotation()
	if r != 1 || seed != want {
		t.Fatalf("rotation %d seed %x, want 1 and %x", r, seed, want)
	}
	if _, ok := w.st.Committee("q", 1); !ok {
		t.Fatal("no committee drawn for rotation 1")
	}
	if _, ok := w.st.Committee("q", 0); !ok {
		t.Fatal("previous committee dropped too early")
	}
}

func TestStateEncodingRoundTrips(t *testing.T) {
	w := newWorld(t, 100, 200, 300)
	w.create("a", DefaultPolicy(), 0, 1)
	w.create("b", DefaultPolicy(), 2)
	w.exec(op(0), KindPropose, Propose{IDAO: "a", Action: AddMember, Member: op(2)}.Encode())
	w.exec(op(99), KindSubmit, sampleSubmit("b", 9).Encode())
	w.advance(25)
	enc := w.st.Encode()
	back, err := Decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Encode(), enc) {
		t.Fatal("decode(encode(s)) differs")
	}
	for i := range enc {
		if _, err := Decode(enc[:i]); err == nil {
			t.Fatalf("truncated at %d decodes", i)
		}
	}
}

func TestInvalidVerdictCarriesItsReason(t *testing.T) {
	w := newWorld(t, 100, 100, 100)
	w.create("q", DefaultPolicy(), 0, 1, 2)
	sub := sampleSubmit("q", 7)
	w.exec(op(99), KindSubmit, sub.Encode())
	a, _ := w.rec.Artifact(ArtifactID(sub))
	res := verify.Invalid("row 17: column %q: %q is not an int", "a", "x")
	at := w.certify(a, 0, false, res.Digest, 0, 1, 2)
	at.Reason = "row 18: something else"
	if code := w.exec(op(5), KindAttest, at.Encode()); code != BadCertificate {
		t.Fatalf("a reason that does not hash to the digest: %s", code)
	}
	at.Reason = res.Reason
	if code := w.exec(op(5), KindAttest, at.Encode()); code != 0 {
		t.Fatalf("invalid verdict with its reason: %s", code)
	}
	a, _ = w.rec.Artifact(a.ID)
	if a.Verdict || a.Reason != res.Reason {
		t.Fatalf("record: verdict %v reason %q", a.Verdict, a.Reason)
	}
}

// An artifact's id binds its content's size, chunk size and kind: a
// submission of the same root with another shape (which no member's
// manifest would match, so it could never be checked) does not take the
// real one's id.
func TestSameRootOtherShapeDoesNotTakeTheID(t *testing.T) {
	w := newWorld(t, 10_000, 10_000, 10_000, 10_000)
	w.create("q", DefaultPolicy(), 0, 1, 2, 3)
	real := sampleSubmit("q", 5)
	squat := real
	squat.Size++
	if code := w.exec(op(98), KindSubmit, squat.Encode()); code != 0 {
		t.Fatalf("squatting submission: %s", code)
	}
	if code := w.exec(op(99), KindSubmit, real.Encode()); code != 0 {
		t.Fatalf("the real submission after a squatter's: %s", code)
	}
	if ArtifactID(real) == ArtifactID(squat) {
		t.Fatal("two shapes of one root share an id")
	}
	if code := w.exec(op(99), KindSubmit, real.Encode()); code != DuplicateArtifact {
		t.Fatalf("the same submission twice: %s, want %s", code, DuplicateArtifact)
	}
}

// An artifact nobody certifies in PendingRotations rotations expires: out
// of the pending set (members stop fetching it), its fee back to the
// submitter, its batch settled. One submitted later is still pending.
func TestPendingArtifactExpires(t *testing.T) {
	w := newWorld(t, 10_000, 10_000, 10_000, 10_000)
	p := DefaultPolicy()
	p.SubmitFee = 7
	w.create("q", p, 0, 1, 2, 3)
	old, young := sampleSubmit("q", 1), sampleSubmit("q", 2)
	old.Fee, young.Fee = 7, 7
	before := w.bank.Balance(op(99))
	if code := w.exec(op(99), KindSubmit, old.Encode()); code != 0 {
		t.Fatalf("submit: %s", code)
	}
	ttl := PendingRotations * w.st.params.RotationBlocks
	w.advance(ttl / 2)
	if code := w.exec(op(99), KindSubmit, young.Encode()); code != 0 {
		t.Fatalf("submit: %s", code)
	}
	w.advance(ttl + 2*w.st.params.RotationBlocks)
	a, _ := w.rec.Artifact(ArtifactID(old))
	if a.Status != Expired || a.Settled() {
		t.Fatalf("old artifact %s after %d blocks", a.Status, ttl)
	}
	if _, pending := w.st.PendingIn(a.ID); pending {
		t.Fatal("an expired artifact is still pending")
	}
	if got := w.bank.Balance(op(99)); got != before-7 {
		t.Fatalf("submitter's balance %d, want %d (one fee back, one held)", got, before-7)
	}
	if y, _ := w.rec.Artifact(ArtifactID(young)); y.Status != Pending {
		t.Fatalf("young artifact %s", y.Status)
	}
	if len(w.rec.events) == 0 || !slices.ContainsFunc(w.rec.events, func(e Event) bool { return e.Type == "artifact.expired" && e.Artifact == a.ID }) {
		t.Fatal("no artifact.expired event")
	}
}

// Two removals proposed while both were allowed cannot, passing one after
// the other, leave an iDAO with no members: the second is refused when it
// passes.
func TestRemovalsCannotEmptyAnIDAO(t *testing.T) {
	w := newWorld(t, 100, 100)
	w.create("q", DefaultPolicy(), 0, 1)
	for _, m := range []int{0, 1} {
		if code := w.exec(op(0), KindPropose, Propose{IDAO: "q", Action: RemoveMember, Member: op(m)}.Encode()); code != 0 {
			t.Fatalf("propose removing %d: %s", m, code)
		}
	}
	for _, m := range []int{0, 1} {
		w.exec(op(m), KindVote, Vote{IDAO: "q", Proposal: 1, Yes: true}.Encode())
	}
	d, _ := w.st.IDAO("q")
	if d.IsMember(op(0)) || !d.IsMember(op(1)) {
		t.Fatalf("after the first removal: members %v", d.Members)
	}
	w.exec(op(1), KindVote, Vote{IDAO: "q", Proposal: 2, Yes: true}.Encode())
	if d, _ = w.st.IDAO("q"); len(d.Members) != 1 {
		t.Fatalf("members after the second removal passed: %v", d.Members)
	}
}
