package consensus_test

import (
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/types"
)

// A leader that signs two blocks for one round is reported by every
// validator that sees both, with both signatures, as evidence; the second
// proposal changes nothing else (it is not voted for).
func TestProposalEquivocationIsReported(t *testing.T) {
	p := pause(t)
	leader := p.leader(p.R)
	b2 := p.block2()
	sig := p.keys[leader].Sign(types.ProposalSigningBytes(p.set.ChainID, b2.Epoch, b2.Round, b2.ID()))
	var witness int
	for _, i := range p.othersThan(leader) {
		witness = i
		break
	}
	before := len(p.nodes[witness].readies)
	p.deliver(leader, witness, &types.Proposal{Block: b2, Sig: sig})

	var eqs []consensus.Equivocation
	for _, r := range p.nodes[witness].readies[before:] {
		eqs = append(eqs, r.Equivocations...)
	}
	if len(eqs) != 1 {
		t.Fatalf("%d equivocations reported, want 1", len(eqs))
	}
	eq := eqs[0]
	if eq.Kind != consensus.EquivocatedProposal || eq.Signer != uint32(leader) || eq.Round != p.R ||
		eq.BlockA != p.proposed.ID() || eq.BlockB != b2.ID() {
		t.Fatalf("equivocation %+v", eq)
	}
	// Nor is it stored: a leader signing block after block for its round
	// would otherwise write each to every node's disk.
	if p.nodes[witness].core.Block(b2.ID()) != nil {
		t.Fatal("the second proposal's block was stored")
	}
	for _, r := range p.nodes[witness].readies[before:] {
		for _, blk := range r.Blocks {
			if blk.ID() == b2.ID() {
				t.Fatal("the second proposal's block was written")
			}
		}
	}
	a, b := eq.SigningBytes(p.set.ChainID)
	if p.set.VerifySig(leader, a, eq.SigA) != nil || p.set.VerifySig(leader, b, eq.SigB) != nil {
		t.Fatalf("reported proposal signatures do not verify")
	}
	// The same second proposal again is a duplicate, not a new report.
	p.deliver(leader, witness, &types.Proposal{Block: b2, Sig: sig})
	total := 0
	for _, r := range p.nodes[witness].readies[before:] {
		total += len(r.Equivocations)
	}
	if total != 1 {
		t.Fatalf("%d reports after the same proposal came twice, want 1", total)
	}
	// A third block, then the second again, alternating: one report
	// convicts the leader, and more would each cost the driver a check.
	b3 := types.NewBlock(b2.Epoch, b2.Round, b2.Height, b2.QC, b2.Proposer, payload(7777))
	sig3 := p.keys[leader].Sign(types.ProposalSigningBytes(p.set.ChainID, b3.Epoch, b3.Round, b3.ID()))
	for range 3 {
		p.deliver(leader, witness, &types.Proposal{Block: b3, Sig: sig3})
		p.deliver(leader, witness, &types.Proposal{Block: b2, Sig: sig})
	}
	total = 0
	for _, r := range p.nodes[witness].readies[before:] {
		total += len(r.Equivocations)
	}
	if total != 1 || p.nodes[witness].core.Block(b3.ID()) != nil {
		t.Fatalf("%d reports after alternating blocks (third stored: %v), want 1", total, p.nodes[witness].core.Block(b3.ID()) != nil)
	}
}

// A voter sending vote after conflicting vote in one round gets
// maxReports of them reported: each report costs the driver signature
// checks, and a forged first one must not hide a real one behind it.
func TestConflictingVotesReportedAFewTimes(t *testing.T) {
	p := pause(t)
	voter := p.others[0]
	before := len(p.nodes[p.collector].readies)
	p.deliver(voter, p.collector, p.signVote(voter, p.R, p.proposed.ID()))
	for i := range uint64(50) {
		other := types.HashOf([]byte{byte(i), 0xd0})
		v := p.signVote(voter, p.R, other)
		if i < 10 {
			v.Sig = corrupt(v.Sig) // junk: costs a check to throw out
		}
		p.deliver(voter, p.collector, v)
	}
	total := 0
	for _, r := range p.nodes[p.collector].readies[before:] {
		total += len(r.Equivocations)
	}
	if total != 2 {
		t.Fatalf("%d reports of one voter's double votes in a round, want 2", total)
	}
}
