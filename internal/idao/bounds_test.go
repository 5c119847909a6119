package idao

import (
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// Two open AddMember proposals for one validator both passed: it was
// listed twice (two seats, its stake counted twice), and enough of them
// took Members past MaxMembers, where the state no longer decodes and
// every node stopped at the same block. The second now is refused when
// it passes.
func TestAddMemberCheckedWhenEnacted(t *testing.T) {
	w := newWorld(t, 1000, 1000, 1)
	w.create("q", DefaultPolicy(), 0, 1)
	add := Propose{IDAO: "q", Action: AddMember, Member: op(2)}
	for i := range 2 {
		if code := w.exec(op(0), KindPropose, add.Encode()); code != 0 {
			t.Fatalf("propose %d: %s", i, code)
		}
	}
	for id := uint64(1); id <= 2; id++ {
		if code := w.exec(op(1), KindVote, Vote{IDAO: "q", Proposal: id, Yes: true}.Encode()); code != 0 {
			t.Fatalf("vote %d: %s", id, code)
		}
	}
	d, _ := w.st.IDAO("q")
	if len(d.Members) != 3 {
		t.Fatalf("%d members after adding one validator twice, want 3", len(d.Members))
	}
	if _, err := Decode(w.st.Encode()); err != nil {
		t.Fatalf("state does not decode: %v", err)
	}
}

// Proposals and iDAOs cost nothing to make, and the state is encoded with
// every block that changes it: each is bounded, and past a bound a clear
// failure changes nothing.
func TestMembersCannotGrowTheStateWithoutBound(t *testing.T) {
	t.Run("open proposals per member", func(t *testing.T) {
		w := newWorld(t, 1, 1000)
		w.create("x", DefaultPolicy(), 0, 1) // op(0) alone can pass nothing
		body := Propose{IDAO: "x", Action: Dissolve}.Encode()
		for i := range MaxOpenPerMember {
			if code := w.exec(op(0), KindPropose, body); code != 0 {
				t.Fatalf("propose %d: %s", i, code)
			}
		}
		before := w.st.Encode()
		if code := w.exec(op(0), KindPropose, body); code != TooMany {
			t.Fatalf("proposal past the member's bound: %s, want %s", code, TooMany)
		}
		if string(before) != string(w.st.Encode()) {
			t.Fatal("a refused proposal changed the state")
		}
		// Expired proposals free their places.
		w.advance(w.height + DefaultParams().VotingPeriod + 1)
		if code := w.exec(op(0), KindPropose, body); code != 0 {
			t.Fatalf("propose after the others expired: %s", code)
		}
	})
	t.Run("idaos per founder", func(t *testing.T) {
		w := newWorld(t, 1)
		create := func(i int) Code {
			c := Create{Name: fmt.Sprintf("i%d", i), Policy: DefaultPolicy(), Members: []staking.Address{op(0)}}
			return w.exec(op(0), KindCreate, c.Encode())
		}
		for i := range MaxFounded {
			if code := create(i); code != 0 {
				t.Fatalf("create %d: %s", i, code)
			}
		}
		if code := create(MaxFounded); code != TooMany {
			t.Fatalf("iDAO past the founder's bound: %s, want %s", code, TooMany)
		}
		if n := len(w.st.IDAOs()); n != MaxFounded {
			t.Fatalf("%d idaos held", n)
		}
	})
}

// The id binds what decides the verdict: a submission of the same bytes
// with a wrong claim (or schema, format or verifier) is another question,
// and takes nothing from the true one. Bound to the shape alone, the
// first such submission took the bytes' only slot in the iDAO, even
// after it expired with its fee refunded.
func TestArtifactIDBindsTheQuestion(t *testing.T) {
	w := newWorld(t, 100, 100, 100)
	w.create("q", DefaultPolicy(), 0, 1, 2)
	honest := sampleSubmit("q", 1)
	honest.Kind, honest.Format, honest.Claim = verify.KindAgentRun, "wasm", types.Hash{0xAA}
	variants := map[string]func(*Submit){
		"claim":    func(s *Submit) { s.Claim = types.Hash{0xBB} },
		"schema":   func(s *Submit) { s.Schema = []byte(`{"a":"int"}`) },
		"verifier": func(s *Submit) { s.Verifier = "agent/v0" },
	}
	for name, change := range variants {
		squat := honest
		change(&squat)
		if ArtifactID(squat) == ArtifactID(honest) {
			t.Fatalf("a different %s gives the same id", name)
		}
		if code := w.exec(op(98), KindSubmit, squat.Encode()); code != 0 {
			t.Fatalf("submission with another %s: %s", name, code)
		}
	}
	if code := w.exec(op(99), KindSubmit, honest.Encode()); code != 0 {
		t.Fatalf("true submission after the others: %s", code)
	}
	if code := w.exec(op(97), KindSubmit, honest.Encode()); code != DuplicateArtifact {
		t.Fatalf("the same question again: %s, want %s", code, DuplicateArtifact)
	}
}

// Dissolving an iDAO ends its work: what it had pending expires at once,
// fees back, and nothing of it can be certified after (its last committee
// could, until the artifacts expired on their own).
func TestDissolveExpiresPending(t *testing.T) {
	w := newWorld(t, 1000)
	p := DefaultPolicy()
	p.SubmitFee = 50
	w.create("q", p, 0)
	sub := sampleSubmit("q", 1)
	sub.Fee = 50
	before := w.bank.Balance(op(99))
	if code := w.exec(op(99), KindSubmit, sub.Encode()); code != 0 {
		t.Fatalf("submit: %s", code)
	}
	if code := w.exec(op(0), KindPropose, Propose{IDAO: "q", Action: Dissolve, Policy: DefaultPolicy()}.Encode()); code != 0 {
		t.Fatalf("dissolve: %s", code)
	}
	a, ok := w.rec.Artifact(ArtifactID(sub))
	if !ok || a.Status != Expired {
		t.Fatalf("artifact after its iDAO dissolved: %+v", a)
	}
	if _, pending := w.st.PendingIn(a.ID); pending {
		t.Fatal("still pending")
	}
	if got := w.bank.Balance(op(99)); got != before {
		t.Fatalf("submitter holds %d after the dissolution, had %d: the fee is not back", got, before)
	}
}

// With a voting period far shorter than a rotation, expired proposals
// stayed listed until the rotation ended, so members could list more
// than the state decodes. Listing a new one drops the expired ones.
func TestExpiredProposalsDoNotAccumulate(t *testing.T) {
	w := newWorld(t, 1, 1000)
	st, err := New(testChain, Params{RotationBlocks: 100_000, VotingPeriod: 1, RulingBlocks: 20, SlashBps: 1000})
	if err != nil {
		t.Fatal(err)
	}
	w.st = st
	w.create("x", DefaultPolicy(), 0, 1) // op(0) alone can pass nothing
	body := Propose{IDAO: "x", Action: Dissolve}.Encode()
	for range 200 {
		for i := range MaxOpenPerMember {
			if code := w.exec(op(0), KindPropose, body); code != 0 {
				t.Fatalf("height %d, propose %d: %s", w.height, i, code)
			}
		}
		w.height += 2 // past the voting period, short of any rotation end
	}
	d, _ := w.st.IDAO("x")
	if len(d.Proposals) > MaxOpenProposals {
		t.Fatalf("%d proposals listed after 800 that expired, want at most %d", len(d.Proposals), MaxOpenProposals)
	}
	if _, err := Decode(w.st.Encode()); err != nil {
		t.Fatalf("state does not decode: %v", err)
	}
}
