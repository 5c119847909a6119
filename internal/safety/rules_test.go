package safety_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/safety"
	"github.com/lazchain/lazchain/internal/types"
)

const e = testEpoch

func TestSignProposal(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "first proposal", req: propose(blk(1, 0, 0)), want: fresh, check: rounds(0, 0, 0, 1)},
		{name: "next round", setup: []request{propose(blk(5, 4, 0))}, req: propose(blk(6, 5, 0)), want: fresh, check: rounds(0, 0, 0, 6)},
		// Once per round: a second block in the round is equivocation.
		{name: "other block in the proposed round", setup: []request{propose(blk(5, 4, 0))}, req: propose(blk(5, 4, 1)), want: refused},
		// Proposals are not stored, so even the same block is not re-signed;
		// the core keeps its own proposal.
		{name: "same block again", setup: []request{propose(blk(5, 4, 0))}, req: propose(blk(5, 4, 0)), want: refused},
		{name: "below the proposed round", setup: []request{propose(blk(6, 5, 0))}, req: propose(blk(5, 4, 0)), want: refused},
		// A round the signer voted or timed out in is over for it.
		{name: "in the voted round", setup: []request{vote(blk(5, 4, 0), 3, nil)}, req: propose(blk(5, 4, 1)), want: refused},
		{name: "below the voted round", setup: []request{vote(blk(5, 4, 0), 3, nil)}, req: propose(blk(4, 3, 1)), want: refused},
		{name: "in the timed out round", setup: []request{timeout(e, 5, qc(4), nil)}, req: propose(blk(5, 4, 0)), want: refused},
		{name: "after voting the previous round", setup: []request{vote(blk(4, 3, 0), 2, nil)}, req: propose(blk(5, 4, 0)), want: fresh, check: rounds(4, 2, 3, 5)},
		{name: "next epoch", req: propose(blockIn(e+1, 1, 0, 0)), want: refused},
		{name: "previous epoch", req: propose(blockIn(e-1, 1, 0, 0)), want: refused},
	})
}

func TestVote(t *testing.T) {
	a, b := blk(5, 4, 0), blk(5, 4, 1) // two blocks of one round
	runRuleCases(t, []ruleCase{
		{name: "first vote", req: vote(a, 3, nil), want: fresh, check: func(t *testing.T, d safety.Data) {
			rounds(5, 3, 4, 0)(t, d)
			if d.LastVote == nil || d.LastVote.Round != 5 || d.LastVote.BlockID != a.ID() {
				t.Errorf("last vote %+v, want round 5 for %s", d.LastVote, a.ID().Short())
			}
		}},
		// Re-sending the same vote is not equivocation; re-signing is not
		// needed either, so the stored one comes back.
		{name: "same block again", setup: []request{vote(a, 3, nil)}, req: vote(a, 3, nil), want: replay},
		{name: "same block, other parent round", setup: []request{vote(a, 3, nil)}, req: vote(a, 1, nil), want: replay},
		{name: "other block in the voted round", setup: []request{vote(a, 3, nil)}, req: vote(b, 3, nil), want: refused},
		{name: "lower round", setup: []request{vote(blk(6, 5, 0), 4, nil)}, req: vote(a, 3, nil), want: refused},
		// Only the last vote is kept; an older one is simply refused.
		{name: "earlier vote after a later one", setup: []request{vote(a, 3, nil), vote(blk(6, 5, 0), 4, nil)}, req: vote(a, 3, nil), want: refused},
		// The lock: the TC would allow the block, the preferred round (3,
		// from the parent of a's QC) does not.
		{name: "qc below the preferred round", setup: []request{vote(a, 3, nil)}, req: vote(blk(6, 2, 0), 1, tc(5, 2, 1)), want: refused},
		{name: "qc at the preferred round", setup: []request{vote(a, 3, nil)}, req: vote(blk(6, 3, 0), 2, tc(5, 3, 1)), want: fresh, check: rounds(6, 3, 4, 0)},
		{name: "round skips without a tc", req: vote(blk(7, 5, 0), 4, nil), want: refused},
		{name: "tc with lower high qcs", req: vote(blk(7, 5, 0), 4, tc(6, 4, 2)), want: fresh, check: rounds(7, 4, 5, 0)},
		{name: "tc with an equal high qc", req: vote(blk(7, 5, 0), 4, tc(6, 5, 3)), want: fresh},
		// A TC signer holds a higher QC than the block extends: voting
		// could abandon a block that may have been committed.
		{name: "tc with a higher high qc", req: vote(blk(7, 4, 0), 3, tc(6, 5, 2)), want: refused},
		{name: "tc of an older round", req: vote(blk(7, 4, 0), 3, tc(5, 4)), want: refused},
		{name: "tc of the next epoch", req: vote(blk(7, 5, 0), 4, tcIn(e+1, 6, 4)), want: refused},
		{name: "tc of the previous epoch", req: vote(blk(7, 5, 0), 4, tcIn(e-1, 6, 4)), want: refused},
		{name: "block without qc", req: vote(types.GenesisBlock(chainID, e), 0, nil), want: refused},
		{name: "block of the next epoch", req: vote(blockIn(e+1, 5, 4, 0), 3, nil), want: refused},
		{name: "block of the previous epoch", req: vote(blockIn(e-1, 5, 4, 0), 3, nil), want: refused},
		// A timeout gives the round up: a later vote in it could help form
		// a QC the TC's signers believe cannot exist.
		{name: "after timing out the round", setup: []request{timeout(e, 5, qc(4), nil)}, req: vote(a, 3, nil), want: refused},
		{name: "after timing out the previous round", setup: []request{timeout(e, 5, qc(4), nil)}, req: vote(blk(6, 4, 0), 3, tc(5, 4, 2)), want: fresh},
		{name: "stored vote after timing out its round", setup: []request{vote(a, 3, nil), timeout(e, 5, qc(4), nil)}, req: vote(a, 3, nil), want: replay},
		{name: "other block after voting and timing out", setup: []request{vote(a, 3, nil), timeout(e, 5, qc(4), nil)}, req: vote(b, 3, nil), want: refused},
		// A leader votes for its own proposal.
		{name: "own proposal", setup: []request{propose(a)}, req: vote(a, 3, nil), want: fresh, check: rounds(5, 3, 4, 5)},
	})
}

func TestTimeout(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "round after the high qc", req: timeout(e, 5, qc(4), nil), want: fresh, check: func(t *testing.T, d safety.Data) {
			rounds(5, 0, 4, 0)(t, d)
			if d.LastTimeout == nil || d.LastTimeout.Round != 5 || d.LastTimeout.HighQC.Round != 4 {
				t.Errorf("last timeout %+v, want round 5 with qc round 4", d.LastTimeout)
			}
		}},
		{name: "round after the last tc", req: timeout(e, 7, qc(4), tc(6, 4, 3)), want: fresh, check: rounds(7, 0, 4, 0)},
		{name: "neither after the qc nor a tc", req: timeout(e, 7, qc(4), nil), want: refused},
		{name: "tc of an older round", req: timeout(e, 7, qc(4), tc(5, 4)), want: refused},
		// One timeout per round: its signature covers the high-QC round, so
		// a second one with another QC would be a conflicting message.
		{name: "same round again", setup: []request{timeout(e, 5, qc(4), nil)}, req: timeout(e, 5, qc(4), nil), want: replay},
		{name: "same round, other high qc", setup: []request{timeout(e, 5, qc(4), nil)}, req: timeout(e, 5, qc(3), tc(4, 3)), want: replay},
		{name: "same round, after a later vote", setup: []request{timeout(e, 5, qc(4), nil), vote(blk(6, 4, 0), 3, tc(5, 4))}, req: timeout(e, 5, qc(4), nil), want: replay},
		{name: "earlier round after a later timeout", setup: []request{timeout(e, 5, qc(4), nil), timeout(e, 6, qc(5), nil)}, req: timeout(e, 5, qc(4), nil), want: refused},
		// The high QC must be at least the highest QC already signed over,
		// or the TC would understate what this signer has seen.
		{name: "high qc below the one-chain round", setup: []request{vote(blk(6, 5, 0), 4, nil)}, req: timeout(e, 7, qc(4), tc(6, 4)), want: refused},
		{name: "high qc at the one-chain round", setup: []request{vote(blk(6, 5, 0), 4, nil)}, req: timeout(e, 7, qc(5), tc(6, 5)), want: fresh, check: rounds(7, 4, 5, 0)},
		{name: "in the voted round", setup: []request{vote(blk(6, 5, 0), 4, nil)}, req: timeout(e, 6, qc(5), nil), want: fresh, check: rounds(6, 4, 5, 0)},
		{name: "below the voted round", setup: []request{vote(blk(6, 5, 0), 4, nil)}, req: timeout(e, 5, qc(4), nil), want: refused},
		{name: "in the proposed round", setup: []request{propose(blk(5, 4, 0))}, req: timeout(e, 5, qc(4), nil), want: fresh, check: rounds(5, 0, 4, 5)},
		{name: "next epoch", req: timeout(e+1, 5, qcIn(e+1, 4), nil), want: refused},
		{name: "previous epoch", req: timeout(e-1, 5, qcIn(e-1, 4), nil), want: refused},
	})
}

func TestStartEpoch(t *testing.T) {
	cases := []struct {
		name      string
		epoch     uint64
		idx       uint32
		fail      bool
		wantErr   error
		wantEpoch uint64
		wantIdx   uint32
	}{
		{name: "next epoch resets", epoch: e + 1, idx: 7, wantEpoch: e + 1, wantIdx: 7},
		{name: "later epoch resets", epoch: e + 5, idx: 0, wantEpoch: e + 5, wantIdx: 0},
		{name: "same epoch keeps the data", epoch: e, idx: 7, wantEpoch: e, wantIdx: 7},
		// Rounds restart each epoch: going back would allow re-signing.
		{name: "previous epoch refused", epoch: e - 1, idx: 7, wantErr: safety.ErrUnsafe, wantEpoch: e, wantIdx: testIndex},
		{name: "storage failure", epoch: e + 1, idx: 7, fail: true, wantErr: errDiskFull, wantEpoch: e, wantIdx: testIndex},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.must(vote(blk(5, 4, 0), 3, nil), timeout(e, 6, qc(5), nil), propose(blk(7, 6, 0)))
			before, stores := f.rules.Data(), f.store.stores
			if c.fail {
				f.store.fail = errDiskFull
			}
			err := f.rules.StartEpoch(c.epoch, c.idx)
			f.store.fail = nil
			if !errors.Is(err, c.wantErr) || (err == nil) != (c.wantErr == nil) {
				t.Fatalf("StartEpoch(%d) = %v, want %v", c.epoch, err, c.wantErr)
			}
			if c.wantEpoch == e {
				f.unchanged(before, before.Encode(), stores)
			} else {
				if d := f.rules.Data(); !bytes.Equal(d.Encode(), (&safety.Data{Epoch: c.wantEpoch}).Encode()) {
					t.Errorf("data after reset %+v", d)
				}
				if f.store.stores != stores+1 {
					t.Errorf("%d stores, want 1", f.store.stores-stores)
				}
			}
			// The next vote shows which epoch and index are in force.
			f.index = c.wantIdx
			if c.wantEpoch == e {
				f.expect(vote(blk(7, 6, 1), 5, nil), fresh)
				return
			}
			f.expect(vote(blockIn(c.wantEpoch, 5, 4, 0), 3, nil), fresh)
			f.expect(vote(blk(8, 7, 0), 6, nil), refused)
		})
	}
}

// TestStorageFailure: when the data cannot be made durable, nothing may be
// signed, and since nothing was stored the same request works once the disk
// does.
func TestStorageFailure(t *testing.T) {
	cases := []struct {
		name string
		req  request
	}{
		{"vote", vote(blk(5, 4, 0), 3, nil)},
		{"timeout", timeout(e, 5, qc(4), nil)},
		{"proposal", propose(blk(5, 4, 0))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			before := f.rules.Data()
			f.store.fail = errDiskFull
			got, err := c.req(f)
			if !errors.Is(err, errDiskFull) || errors.Is(err, safety.ErrUnsafe) {
				t.Fatalf("err %v, want the storage error and not ErrUnsafe", err)
			}
			if got.sig != nil {
				t.Fatalf("signature returned without durable data")
			}
			f.unchanged(before, before.Encode(), 0)
			f.store.fail = nil
			f.expect(c.req, fresh)
		})
	}
}

// TestBLS runs the three kinds of request with the production scheme.
func TestBLS(t *testing.T) {
	key, err := bls.GenerateKey(bytes.Repeat([]byte{0x5a}, bls.MinSeedSize))
	if err != nil {
		t.Fatal(err)
	}
	f := newFixtureWith(t, bls.Scheme{}, key)
	f.expect(propose(blk(5, 4, 0)), fresh)
	f.expect(vote(blk(5, 4, 0), 3, nil), fresh)
	f.expect(vote(blk(5, 4, 0), 3, nil), replay)
	f.expect(vote(blk(5, 4, 1), 3, nil), refused)
	f.expect(timeout(e, 6, qc(4), tc(5, 4, 3)), fresh)
	f.expect(timeout(e, 6, qc(5), nil), replay)
}

// TestDomainSeparation: a signature is bound to its kind, chain and epoch,
// so it cannot be replayed as another message.
func TestDomainSeparation(t *testing.T) {
	f := newFixture(t)
	b := blk(5, 4, 0)
	v := f.expect(vote(b, 3, nil), fresh)
	pk := f.rules.PublicKey()
	for name, msg := range map[string][]byte{
		"as a proposal":     types.ProposalSigningBytes(chainID, e, 5, b.ID()),
		"on another chain":  types.VoteSigningBytes(chainID+"x", e, 5, b.ID()),
		"in another epoch":  types.VoteSigningBytes(chainID, e+1, 5, b.ID()),
		"in another round":  types.VoteSigningBytes(chainID, e, 6, b.ID()),
		"as a timeout":      types.TimeoutSigningBytes(chainID, e, 5, 4),
		"for another block": types.VoteSigningBytes(chainID, e, 5, blk(5, 4, 1).ID()),
		"for the parent qc": types.VoteSigningBytes(chainID, e, 4, b.Parent),
		"over nothing":      nil,
	} {
		if f.scheme.Verify(pk, msg, v.sig) {
			t.Errorf("vote signature verifies %s", name)
		}
	}
}

// TestDataIsACopy: callers get a snapshot they cannot use to edit the lock.
func TestDataIsACopy(t *testing.T) {
	f := newFixture(t)
	f.must(vote(blk(5, 4, 0), 3, nil))
	d := f.rules.Data()
	d.LastVotedRound, d.PreferredRound = 0, 0
	f.expect(vote(blk(4, 3, 1), 2, nil), refused)
	rounds(5, 3, 4, 0)(t, f.rules.Data())
}

// TestNewLoadsState: a signer started over existing data obeys it.
func TestNewLoadsState(t *testing.T) {
	f := newFixture(t)
	f.must(vote(blk(5, 4, 0), 3, nil))
	g := restart(t, f)
	g.expect(vote(blk(5, 4, 1), 3, nil), refused)
	g.expect(vote(blk(5, 4, 0), 3, nil), replay)

	_, key := simKey("safety-test-key")
	_, err := safety.New(chainID, key, &failingLoad{})
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("New over an unreadable store: %v", err)
	}
}

// restart returns the signer of f as a restarted process loads it from
// f's storage.
func restart(t *testing.T, f *fixture) *fixture {
	t.Helper()
	scheme, key := simKey("safety-test-key")
	r, err := safety.New(chainID, key, f.store)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, scheme: scheme, store: f.store, rules: r, index: testIndex}
}

type failingLoad struct{ safety.MemStorage }

func (*failingLoad) Load() (safety.Data, error) { return safety.Data{}, errDiskFull }

// A restarted signer does not propose in the round after its last durable
// vote or timeout: that proposal may have left unwritten.
func TestRestartSkipsCoveredRound(t *testing.T) {
	cases := []struct {
		name    string
		before  []request // signed before the restart
		propose *types.Block
		want    outcome
	}{
		{"nothing signed: round 1", nil, blk(1, 0, 0), fresh},
		{"after a vote: the next round", []request{vote(blk(4, 3, 0), 2, nil)}, blk(5, 4, 0), refused},
		{"after a vote: the round after", []request{vote(blk(4, 3, 0), 2, nil)}, blk(6, 5, 0), fresh},
		{"after a timeout: the next round", []request{timeout(e, 7, qc(6), nil)}, blk(8, 6, 0), refused},
		{"after a timeout: the round after", []request{timeout(e, 7, qc(6), nil)}, blk(9, 8, 0), fresh},
		{"after a proposal and its vote", []request{propose(blk(5, 4, 0)), vote(blk(5, 4, 0), 3, nil)}, blk(6, 5, 0), refused},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			for _, req := range c.before {
				f.must(req)
			}
			restart(t, f).expect(propose(c.propose), c.want)
		})
	}
}

// The floor of a restart holds in its epoch only: rounds start again in
// the next.
func TestRestartFloorEndsWithEpoch(t *testing.T) {
	f := newFixture(t)
	f.must(vote(blk(4, 3, 0), 2, nil))
	g := restart(t, f)
	if err := g.rules.StartEpoch(e+1, testIndex); err != nil {
		t.Fatal(err)
	}
	g.expect(propose(blockIn(e+1, 5, 4, 0)), fresh)
}

func TestProposalCovered(t *testing.T) {
	at := func(epoch, round uint64) *types.Proposal {
		return &types.Proposal{Block: blockIn(epoch, round, round-1, 0)}
	}
	// The TC of round 4 may hold this signer's own timeout of round 4,
	// signed but not written yet.
	afterTC := &types.Proposal{Block: blockIn(3, 5, 3, 0), TC: tcIn(3, 4, 3, 3, 3)}
	cases := []struct {
		name    string
		durable safety.Data
		p       *types.Proposal
		want    bool
	}{
		{"the round after a vote", safety.Data{Epoch: 3, LastVotedRound: 4}, at(3, 5), true},
		{"two rounds after a vote", safety.Data{Epoch: 3, LastVotedRound: 4}, at(3, 6), false},
		{"the voted round", safety.Data{Epoch: 3, LastVotedRound: 4}, at(3, 4), false},
		{"another epoch", safety.Data{Epoch: 3, LastVotedRound: 4}, at(4, 5), false},
		{"nothing voted: round 1", safety.Data{Epoch: 3}, at(3, 1), false},
		{"a proposal with a tc", safety.Data{Epoch: 3, LastVotedRound: 4}, afterTC, false},
		{"no proposal", safety.Data{Epoch: 3, LastVotedRound: 4}, nil, false},
	}
	for _, c := range cases {
		if got := safety.ProposalCovered(c.durable, c.p); got != c.want {
			t.Errorf("%s: ProposalCovered = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestCertifiedCovered(t *testing.T) {
	// signedBy is a QC of round 4 in epoch 3 whose signers are idx.
	signedBy := func(idx ...int) *types.Certified {
		q := qcIn(3, 4)
		q.Signers = types.NewBitmap(4)
		for _, i := range idx {
			q.Signers.Set(i)
		}
		return &types.Certified{QC: q}
	}
	const self = 2
	cases := []struct {
		name    string
		durable safety.Data
		self    int
		m       types.Message
		want    bool
	}{
		{"our vote not written yet", safety.Data{Epoch: 3, LastVotedRound: 3}, self, signedBy(0, 1, 2), false},
		{"our vote written", safety.Data{Epoch: 3, LastVotedRound: 4}, self, signedBy(0, 1, 2), true},
		{"a timeout written after our vote", safety.Data{Epoch: 3, LastVotedRound: 5}, self, signedBy(0, 1, 2), true},
		{"written in another epoch", safety.Data{Epoch: 2, LastVotedRound: 9}, self, signedBy(0, 1, 2), false},
		{"no vote of ours in it", safety.Data{Epoch: 3, LastVotedRound: 3}, self, signedBy(0, 1, 3), true},
		{"not a validator", safety.Data{}, -1, signedBy(0, 1, 2), true},
		{"no qc", safety.Data{Epoch: 3, LastVotedRound: 4}, self, &types.Certified{}, false},
		{"not an announcement", safety.Data{Epoch: 3, LastVotedRound: 4}, self, &types.Proposal{Block: blockIn(3, 5, 4, 0)}, false},
	}
	for _, c := range cases {
		if got := safety.CertifiedCovered(c.durable, c.self, c.m); got != c.want {
			t.Errorf("%s: CertifiedCovered = %v, want %v", c.name, got, c.want)
		}
	}
}
