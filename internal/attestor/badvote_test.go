package attestor

import (
	"log/slog"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// A faulty member resending one bad vote made the aggregator check every
// vote of the tally again, each time (about a millisecond apiece). Now the
// good votes are checked once, and a member whose own checked vote failed
// is barred from that tally; the honest votes still certify.
func TestBadVoteIsCheckedOnce(t *testing.T) {
	vals, keys, stk, dao := testValidators(t, 4)
	var ops []staking.Address
	for _, v := range vals {
		ops = append(ops, v.Operator)
	}
	rec := &memRecords{arts: map[types.Hash]*idao.Artifact{}, comms: map[string]*idao.Committee{}}
	bank := staking.MapBank{}
	bank.SetBalance(ops[0], 1_000_000)
	ctx := idao.Ctx{Bank: bank, Staking: stk, Records: rec, Height: 1}
	if err := dao.Exec(ctx, ops[0], idao.KindCreate, idao.Create{Name: "data", Policy: idao.DefaultPolicy(), Members: ops}.Encode()); err != nil {
		t.Fatal(err)
	}
	sub := idao.Submit{IDAO: "data", Kind: verify.KindDataset, Format: "csv", Root: types.Hash{0xB0}, Size: 100,
		ChunkSize: idao.MinChunkSize, Fee: idao.DefaultPolicy().SubmitFee}
	if err := dao.Exec(ctx, ops[0], idao.KindSubmit, sub.Encode()); err != nil {
		t.Fatal(err)
	}
	art := rec.arts[idao.ArtifactID(sub)]
	rot, _ := dao.Rotation()
	c, ok := dao.Committee("data", rot)
	if !ok || len(c.Seats) != 4 {
		t.Fatalf("committee: %v", c)
	}
	keyOf := func(seat int) *bls.SecretKey {
		for i, op := range ops {
			if c.Seats[seat].Operator == op {
				return keys[i]
			}
		}
		t.Fatalf("seat %d has no key", seat)
		return nil
	}
	agg := int(art.ID[0]) % len(c.Seats) // the designated aggregator
	submits := 0
	a := New(Config{ChainID: testChain, Key: keyOf(agg), Chain: &fakeChain{dao: dao, stk: stk, art: art}, Log: slog.New(slog.DiscardHandler),
		Send: func(p2p.NodeID, []byte) bool { return true }, Submit: func(uint16, []byte) error { submits++; return nil }})
	digest := types.Hash{7}
	msg := idao.VoteBytes(testChain, "data", art.ID, true, digest, rot)
	vote := func(seat int, sig []byte) Vote {
		return Vote{Artifact: art.ID, Rotation: rot, Verdict: true, Digest: digest, Seat: uint32(seat), Sig: sig}
	}
	byz, third := (agg+1)%4, (agg+2)%4
	for _, s := range []int{agg, third} { // one short of the threshold
		a.addVote(vote(s, keyOf(s).Sign(msg)))
	}
	bad := vote(byz, keyOf(byz).Sign([]byte("something else")))
	for range 20 {
		a.addVote(bad)
	}
	k := bad.key()
	a.mu.Lock()
	tl := a.tallies[k]
	_, held := tl.sigs[uint32(byz)]
	verified, barred := len(tl.verified), tl.failed[uint32(byz)]
	a.mu.Unlock()
	if held || !barred {
		t.Fatalf("bad vote held %v, its seat barred %v", held, barred)
	}
	if verified != 2 {
		t.Fatalf("%d good votes remembered as checked, want 2", verified)
	}
	if submits != 0 {
		t.Fatalf("%d certificates without a quorum of good votes", submits)
	}
	last := (agg + 3) % 4
	a.addVote(vote(last, keyOf(last).Sign(msg)))
	if submits != 1 {
		t.Fatalf("honest votes did not certify: %d submissions", submits)
	}
}
