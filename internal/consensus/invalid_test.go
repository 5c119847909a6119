package consensus_test

import (
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/types"
)

// paused is four equal validators stopped in round R: everyone voted for
// the block of R, and those votes were lost, so the collector (the leader
// of R+1) holds only its own vote. Scenarios then feed it messages by hand.
type paused struct {
	*harness
	R         uint64
	collector int
	others    []int        // the three other validators
	proposed  *types.Block // the block of round R
}

func pause(t *testing.T) *paused {
	h := newHarness(t, 1, 1, 1, 1)
	r := h.roundWhere(4, func(r uint64) bool { return h.leader(r) != h.leader(r+1) })
	h.pauseAt(r)
	c := h.leader(r + 1)
	return &paused{harness: h, R: r, collector: c, others: h.othersThan(c), proposed: h.blockAt(c, r)}
}

// Scenario 4: every invalid message is dropped, counted under its reason,
// and changes nothing: not the round, not the high QC, not the commits.
func TestInvalidMessagesAreDroppedAndCounted(t *testing.T) {
	cases := []struct {
		name string
		want consensus.Drop
		send func(p *paused)
	}{
		{"vote with a bad signature", consensus.DropBadSignature, func(p *paused) {
			// Votes are verified lazily, once they carry a quorum: one
			// valid vote and the bad one (with the collector's) do.
			a, b := p.others[0], p.others[1]
			p.deliver(a, p.collector, p.signVote(a, p.R, p.proposed.ID()))
			bad := p.signVote(b, p.R, p.proposed.ID())
			bad.Sig = corrupt(bad.Sig)
			p.deliver(b, p.collector, bad)
		}},
		{"proposal with a bad signature", consensus.DropBadSignature, func(p *paused) {
			prop := p.signProposal(p.block2(), nil)
			prop.Sig = corrupt(prop.Sig)
			p.deliver(p.leader(p.R), p.collector, prop)
		}},
		{"vote of another epoch", consensus.DropWrongEpoch, func(p *paused) {
			v := p.signVote(p.others[0], p.R, p.proposed.ID())
			v.Epoch = testEpoch + 1
			p.deliver(p.others[0], p.collector, v)
		}},
		{"proposal of another epoch", consensus.DropWrongEpoch, func(p *paused) {
			b := types.NewBlock(testEpoch+1, p.R, p.proposed.Height, p.proposed.QC, p.proposed.Proposer, nil)
			p.deliver(p.leader(p.R), p.collector, p.signProposal(b, nil))
		}},
		{"vote of a stale round", consensus.DropStaleRound, func(p *paused) {
			a := p.others[0]
			p.deliver(a, p.collector, p.signVote(a, p.R-2, p.blockAt(p.collector, p.R-2).ID()))
		}},
		{"vote for a round far ahead", consensus.DropFutureRound, func(p *paused) {
			a := p.others[0]
			p.deliver(a, p.collector, p.signVote(a, p.R+1000, p.proposed.ID()))
		}},
		{"proposal from a validator that does not lead the round", consensus.DropNotLeader, func(p *paused) {
			impostor := p.othersThan(p.leader(p.R))[0]
			b := types.NewBlock(testEpoch, p.R, p.proposed.Height, p.proposed.QC, uint32(impostor), payload(7))
			p.deliver(impostor, p.collector, p.signProposal(b, nil))
		}},
		{"vote whose voter is not its sender", consensus.DropUnknownSender, func(p *paused) {
			a, b := p.others[0], p.others[1]
			p.deliver(a, p.collector, p.signVote(b, p.R, p.proposed.ID()))
		}},
		{"block response nobody asked for", consensus.DropUnsolicited, func(p *paused) {
			p.deliver(p.others[0], p.collector, &types.BlockResponse{Blocks: []*types.Block{p.block2()}})
		}},
		{"proposal whose QC lacks quorum stake", consensus.DropBadSignature, func(p *paused) {
			// Two of four is no quorum; the QC names a block the collector
			// never verified a QC for, so the check cannot be skipped.
			elsewhere := types.HashOf([]byte("a fork nobody certified"))
			qc := p.makeQC(p.R-1, elsewhere, p.others[0], p.others[1])
			b := types.NewBlock(testEpoch, p.R, p.proposed.Height, qc, uint32(p.leader(p.R)), payload(8))
			p.deliver(p.leader(p.R), p.collector, p.signProposal(b, nil))
		}},
		{"proposal with a forged copy of a QC already verified: too few signers", consensus.DropBadSignature, func(p *paused) {
			// The collector verified the real QC for this block and round;
			// a copy naming the same block and round but other signers is
			// another claim and must be checked, not taken from the cache.
			real := p.proposed.QC
			forged := p.makeQC(real.Round, real.BlockID, p.leader(p.R))
			b := types.NewBlock(testEpoch, p.R, p.proposed.Height, forged, uint32(p.leader(p.R)), payload(9))
			p.deliver(p.leader(p.R), p.collector, p.signProposal(b, nil))
		}},
		{"proposal with a forged copy of a QC already verified: bad aggregate", consensus.DropBadSignature, func(p *paused) {
			real := p.proposed.QC
			forged := &types.QC{Epoch: real.Epoch, Round: real.Round, BlockID: real.BlockID,
				Signers: append(types.Bitmap(nil), real.Signers...), Sig: corrupt(real.Sig)}
			b := types.NewBlock(testEpoch, p.R, p.proposed.Height, forged, uint32(p.leader(p.R)), payload(10))
			p.deliver(p.leader(p.R), p.collector, p.signProposal(b, nil))
		}},
		{"timeout with a bad signature", consensus.DropBadSignature, func(p *paused) {
			a := p.others[0]
			tmo := p.signTimeout(a, p.R, p.core(p.collector).HighQC(), nil)
			tmo.Sig = corrupt(tmo.Sig)
			p.deliver(a, p.collector, tmo)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := pause(t)
			c := p.core(p.collector)
			before, dropsBefore := stateOf(c), c.Stats().Dropped
			tc.send(p)
			if after := stateOf(c); after != before {
				t.Errorf("state changed: %+v -> %+v", before, after)
			}
			dropsAfter := c.Stats().Dropped
			for d := range dropsAfter {
				want := dropsBefore[d]
				if consensus.Drop(d) == tc.want {
					want++
				}
				if dropsAfter[d] != want {
					t.Errorf("Dropped[%s] = %d, want %d", consensus.Drop(d), dropsAfter[d], want)
				}
			}
		})
	}
}

// block2 is another block for round R on the same parent: what an
// equivocating leader would propose.
func (p *paused) block2() *types.Block { return p.block(p.R, p.proposed.Height, p.proposed.QC) }

// vote is one hand-made vote delivered to the collector by its voter.
type vote struct {
	voter int
	other bool // for block2 rather than the real block of R
	bad   bool // with a corrupted signature
}

func (p *paused) cast(vs ...vote) {
	for _, v := range vs {
		id := p.proposed.ID()
		if v.other {
			id = p.block2().ID()
		}
		msg := p.signVote(p.others[v.voter], p.R, id)
		if v.bad {
			msg.Sig = corrupt(msg.Sig)
		}
		p.deliver(p.others[v.voter], p.collector, msg)
	}
}

// Scenario 5 and 8: how votes add up at the collector, which already holds
// its own vote (1 of the 3 stake a QC needs). Voters are named 0, 1, 2 for
// the three others.
//   - Aggregation is optimistic: votes are summed unverified and checked as
//     one aggregate at quorum; when that fails each is checked alone, bad
//     ones are dropped as DropBadSignature, their voters may vote again,
//     and the QC forms once valid votes carry a quorum.
//   - A voter's stake counts once per round: a repeated vote is
//     DropDuplicate, a vote for another block is DropEquivocation.
func TestVoteTally(t *testing.T) {
	cases := []struct {
		name    string
		votes   []vote
		qc      bool
		signers []int // of the QC, as indices into others (collector implied)
		drops   map[consensus.Drop]uint64
	}{
		{"valid quorum", []vote{{voter: 0}, {voter: 1}}, true, []int{0, 1}, nil},
		{"bad vote completes the quorum", []vote{{voter: 0}, {voter: 1, bad: true}},
			false, nil, map[consensus.Drop]uint64{consensus.DropBadSignature: 1}},
		{"a later valid vote completes it again", []vote{{voter: 0}, {voter: 1, bad: true}, {voter: 2}},
			true, []int{0, 2}, map[consensus.Drop]uint64{consensus.DropBadSignature: 1}},
		{"the bad vote's voter votes again", []vote{{voter: 0}, {voter: 1, bad: true}, {voter: 1}},
			true, []int{0, 1}, map[consensus.Drop]uint64{consensus.DropBadSignature: 1}},
		{"bad vote first", []vote{{voter: 1, bad: true}, {voter: 0}, {voter: 2}},
			true, []int{0, 2}, map[consensus.Drop]uint64{consensus.DropBadSignature: 1}},
		// Each bad vote that completes a quorum costs its checks: after two,
		// the voter's further votes in the round are dropped unread.
		{"a third vote after two bad ones", []vote{{voter: 0}, {voter: 1, bad: true}, {voter: 1, bad: true}, {voter: 1}},
			false, nil, map[consensus.Drop]uint64{consensus.DropBadSignature: 3}},
		{"two bad votes, then another voter", []vote{{voter: 0}, {voter: 1, bad: true}, {voter: 1, bad: true}, {voter: 2}},
			true, []int{0, 2}, map[consensus.Drop]uint64{consensus.DropBadSignature: 2}},
		{"same vote twice", []vote{{voter: 0}, {voter: 0}},
			false, nil, map[consensus.Drop]uint64{consensus.DropDuplicate: 1}},
		{"second vote for another block", []vote{{voter: 0}, {voter: 0, other: true}, {voter: 1, other: true}, {voter: 2, other: true}},
			false, nil, map[consensus.Drop]uint64{consensus.DropEquivocation: 1}},
		{"first vote for another block", []vote{{voter: 0, other: true}, {voter: 0}, {voter: 1}},
			false, nil, map[consensus.Drop]uint64{consensus.DropEquivocation: 1}},
		{"equivocator left out", []vote{{voter: 0, other: true}, {voter: 0}, {voter: 1}, {voter: 2}},
			true, []int{1, 2}, map[consensus.Drop]uint64{consensus.DropEquivocation: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := pause(t)
			c := p.core(p.collector)
			p.cast(tc.votes...)
			qc := c.HighQC()
			if formed := qc.Round == p.R; formed != tc.qc {
				t.Fatalf("QC formed: %v, want %v (%s)", formed, tc.qc, c.Describe())
			}
			if tc.qc {
				want := []int{p.collector}
				for _, i := range tc.signers {
					want = append(want, p.others[i])
				}
				if got := qc.Signers.Indices(); fmt.Sprint(got) != fmt.Sprint(sorted(want)) || qc.BlockID != p.proposed.ID() {
					t.Errorf("QC signed by %v, want %v", got, sorted(want))
				}
				if err := qc.Verify(p.set, p.genesis.ID()); err != nil {
					t.Errorf("QC does not verify: %v", err)
				}
				if c.Round() != p.R+1 {
					t.Errorf("collector in round %d after the QC of %d", c.Round(), p.R)
				}
			}
			for d, n := range c.Stats().Dropped {
				if want := tc.drops[consensus.Drop(d)]; n != want {
					t.Errorf("Dropped[%s] = %d, want %d", consensus.Drop(d), n, want)
				}
			}
			// Each double vote reaches the driver as a pair of votes for
			// two blocks, so it can become slashing evidence.
			var eqs []consensus.Equivocation
			for _, r := range p.nodes[p.collector].readies {
				eqs = append(eqs, r.Equivocations...)
			}
			if want := tc.drops[consensus.DropEquivocation]; uint64(len(eqs)) != want {
				t.Fatalf("%d equivocations reported, want %d", len(eqs), want)
			}
			for _, eq := range eqs {
				if eq.Kind != consensus.EquivocatedVote || eq.Signer != uint32(p.others[0]) || eq.Round != p.R || eq.BlockA == eq.BlockB {
					t.Errorf("equivocation %+v", eq)
				}
				a, b := eq.SigningBytes(p.set.ChainID)
				if p.set.VerifySig(int(eq.Signer), a, eq.SigA) != nil || p.set.VerifySig(int(eq.Signer), b, eq.SigB) != nil {
					t.Errorf("reported votes do not verify: %+v", eq)
				}
			}
		})
	}
}

// A vote counts only from the validator that cast it: the transport
// authenticates validators, and a vote passed on by anyone else (From -1)
// is dropped as DropUnknownSender. Tallied, it would be tallied unverified,
// and a forged vote for a made-up block would take its voter's place in
// the round: the real vote would then be dropped as an equivocation, and a
// peer outside the validator set could stop every QC at no cost.
func TestVotesFromNonValidatorsAreNotTallied(t *testing.T) {
	p := pause(t)
	for v := range p.nodes {
		// One made-up block per voter, so that no block gathers the quorum
		// stake that would get its votes checked.
		made := types.HashOf([]byte(fmt.Sprint("made up ", v)))
		forged := p.signVote(v, p.R, made)
		forged.Sig = corrupt(forged.Sig)
		p.deliver(-1, p.collector, forged)
	}
	if got := p.drops(p.collector, consensus.DropUnknownSender); got != uint64(len(p.nodes)) {
		t.Errorf("Dropped[unknown_sender] = %d, want %d", got, len(p.nodes))
	}
	p.cast(vote{voter: 0}, vote{voter: 1})
	if qc := p.core(p.collector).HighQC(); qc.Round != p.R || qc.BlockID != p.proposed.ID() {
		t.Fatalf("no QC for round %d after forged votes: %s", p.R, p.core(p.collector).Describe())
	}
}

// A TC too old to move a core is not worth checking, so it must not be
// kept either: a forged one (no signers, junk signature) riding on a
// timeout must not become the high TC that Ready hands over for persisting.
func TestOldForgedTCIsNotPersisted(t *testing.T) {
	p := pause(t)
	forged := &types.TC{Epoch: testEpoch, Round: 2, Signers: types.NewBitmap(4), Sig: []byte("junk")}
	tmo := p.signTimeout(p.others[0], p.R, p.core(p.collector).HighQC(), forged)
	tmo.Sig = corrupt(tmo.Sig)
	before := stateOf(p.core(p.collector))
	p.deliver(-1, p.collector, tmo)
	if n := p.nodes[p.collector]; n.highTC != nil {
		t.Errorf("forged TC of round %d persisted as the high TC", n.highTC.Round)
	}
	if after := stateOf(p.core(p.collector)); after != before {
		t.Errorf("state changed: %+v -> %+v", before, after)
	}
}

// A vote reaches a validator that does not collect its round when the
// voter's driver cannot reach the next leader (crashed or cut off) and
// sends it to everyone. Such votes are tallied, with the validator's own:
// two of them form the round's QC at a validator other than the next
// leader, which then
// carries it in its timeout, so only the dead leader's own round is lost.
func TestVotesToANonCollectorFormTheQC(t *testing.T) {
	p := pause(t)
	other := p.others[0] // not the collector of round R; it voted in R
	for _, v := range p.othersThan(other)[:2] {
		// With its own vote, two more make the quorum.
		p.deliver(v, other, p.signVote(v, p.R, p.proposed.ID()))
	}
	if got := p.core(other).HighQC(); got.Round != p.R || got.BlockID != p.proposed.ID() {
		t.Fatalf("validator %d's high QC is round %d, want the QC of round %d formed from the votes it got", other, got.Round, p.R)
	}
	if d := p.drops(other, consensus.DropNotLeader); d != 0 {
		t.Errorf("%d votes dropped as sent to a non-leader", d)
	}
	// Only the next leader announces a QC; the others drop anyone else's.
	for _, e := range p.sent(allOf(from(other), ofKind(types.KindCertified))) {
		if e.msg.(*types.Certified).QC.Round == p.R {
			t.Fatalf("validator %d, not the collector, announced the QC of round %d", other, p.R)
		}
	}
}
