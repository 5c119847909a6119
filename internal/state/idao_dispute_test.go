package state_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// disputeChain is three validators (users 0-2) forming iDAO "q", user 3
// a submitter and challenger, and committees rotating every two blocks so
// a certificate's committee is soon only in the stored history.
type disputeChain struct {
	*env
	liquid uint64
	nonce  [4]uint64
	height uint64
}

func newDisputeChain(t *testing.T) *disputeChain {
	g := state.Genesis{Params: staking.DefaultParams(),
		IDAO:       idao.Params{RotationBlocks: 2, VotingPeriod: 10, RulingBlocks: 50, SlashBps: 1000},
		Validators: []staking.GenesisValidator{genesisValidator(t, 0, 10_000), genesisValidator(t, 1, 8_000), genesisValidator(t, 2, 6_000)}}
	c := &disputeChain{}
	for i := range 4 {
		g.Accounts = append(g.Accounts, state.GenesisAccount{Address: addr(i), Balance: 50_000})
		c.liquid += 50_000
	}
	c.env = newEnvGenesis(t, nil, g)
	return c
}

// block commits one block of txs, each (sender, kind, body), and checks
// that each succeeded.
func (c *disputeChain) block(txs ...func() (int, uint16, []byte)) {
	c.t.Helper()
	c.height++
	var all []*types.Tx
	for _, f := range txs {
		s, kind, body := f()
		all = append(all, stx(s, c.nonce[s], kind, body))
		c.nonce[s]++
	}
	c.apply(chainBlock(0, c.height, all...))
	for _, x := range all {
		if r := c.receipt(x); r.Code != state.OK {
			c.t.Fatalf("height %d kind %d: %s %s", c.height, x.Kind, r.Code, r.Reason)
		}
	}
}

func send(s int, kind uint16, body []byte) func() (int, uint16, []byte) {
	return func() (int, uint16, []byte) { return s, kind, body }
}

// checkSupply counts every balance, the iDAO escrows included.
func (c *disputeChain) checkSupply() {
	c.t.Helper()
	var sum uint64
	for i := range 4 {
		sum += c.balance(i)
	}
	sum += c.m.Account(idao.Escrow).Balance + c.m.Account(idao.DisputeEscrow).Balance
	if err := c.m.Staking().CheckSupply(sum, c.liquid); err != nil {
		c.t.Fatal(err)
	}
}

// attested creates iDAO "q" of users 0-2 with a bond of 500, submits an
// artifact from user 3 and has the whole committee certify it valid with
// digest 0xC; it returns the artifact's id and the certificate's rotation.
func (c *disputeChain) attested() (types.Hash, uint64) {
	c.t.Helper()
	p := idao.DefaultPolicy()
	p.CommitteeSize, p.DisputeBond = 3, 500
	c.block(send(0, idao.KindCreate, idao.Create{Name: "q", Policy: p, Members: addrs(0, 1, 2)}.Encode()))
	sub := idao.Submit{IDAO: "q", Kind: verify.KindDataset, Root: types.Hash{7}, Size: 100, ChunkSize: idao.MinChunkSize, Format: "csv"}
	c.block(send(3, idao.KindSubmit, sub.Encode()))
	id := idao.ArtifactID(sub)
	rot, _ := c.m.IDAOs().Rotation()
	com, _ := c.m.IDAOs().Committee("q", rot)
	msg := idao.VoteBytes(chain, "q", id, true, types.Hash{0xC}, rot)
	at := idao.Attest{Artifact: id, Verdict: true, Digest: types.Hash{0xC}, Rotation: rot, Signers: types.NewBitmap(len(com.Seats))}
	var sigs [][]byte
	for i, seat := range com.Seats {
		at.Signers.Set(i)
		sigs = append(sigs, blsKey(c.t, slices.Index(addrs(0, 1, 2), seat.Operator)).Sign(msg))
	}
	at.Sig, _ = (bls.Scheme{}).Aggregate(sigs)
	c.block(send(3, idao.KindAttest, at.Encode()))
	return id, rot
}

// A certificate is challenged, the certificate's committee rotates out of
// the iDAO state, and a ruling by the validator set overturns it: the
// machine's records serve the dispute and the committee history, the
// signers are slashed, and the supply is exact throughout.
func TestDisputeLifecycleThroughTheMachine(t *testing.T) {
	c := newDisputeChain(t)
	id, rot := c.attested()
	c.block(send(3, idao.KindChallenge, idao.Challenge{Artifact: id, Claim: idao.ClaimWrongVerdict, Bond: 500}.Encode()))
	did := idao.DisputeID(id, idao.ClaimWrongVerdict)
	if d, err := c.m.Dispute(did); err != nil || d.Status != idao.DisputeOpen {
		t.Fatalf("dispute after challenge: %v %v", d, err)
	}
	if c.m.Account(idao.DisputeEscrow).Balance != 500 || len(c.m.IDAOs().OpenDisputes()) != 1 {
		t.Fatal("bond not escrowed or dispute not indexed")
	}
	c.checkSupply()
	for range 6 {
		c.block()
	}
	if _, ok := c.m.IDAOs().Committee("q", rot); ok {
		t.Fatal("the certificate's committee is still held; the test does not reach the history")
	}

	truth := verify.Invalid("row 1: bad")
	set := c.m.Staking().Active()
	u := idao.Ruling{Dispute: did, ForChallenger: true, Digest: truth.Digest, Reason: truth.Reason, Epoch: c.m.Staking().Epoch(),
		Signers: types.NewBitmap(len(set))}
	rmsg := idao.RulingSigningBytes(chain, did, true, false, truth.Digest, u.Epoch)
	var sigs [][]byte
	for i, m := range set {
		u.Signers.Set(i)
		sigs = append(sigs, blsKey(t, slices.Index(addrs(0, 1, 2), m.Operator)).Sign(rmsg))
	}
	u.Sig, _ = (bls.Scheme{}).Aggregate(sigs)
	before := c.balance(3)
	c.block(send(3, idao.KindRuling, u.Encode()))

	a, err := c.m.Artifact(id)
	if err != nil || a.Status != idao.Overturned || a.Digest != truth.Digest {
		t.Fatalf("artifact after ruling: %v %v", a, err)
	}
	for i, want := range []uint64{9_000, 7_200, 5_400} {
		if v, _ := c.m.Staking().Validator(addr(i)); v.Tokens != want || !v.Jailed {
			t.Errorf("validator %d: tokens %d jailed %v, want %d jailed", i, v.Tokens, v.Jailed, want)
		}
	}
	// Bond back and 10% of the 2,400 slashed.
	if got := c.balance(3) - before; got != 500+240 {
		t.Fatalf("challenger got %d, want 740", got)
	}
	c.checkSupply()
	evs, _ := c.m.Events(c.height)
	if len(evs) != 2 || evs[0].Type != "dispute.ruled" || evs[1].Type != "artifact.overturned" {
		t.Fatalf("events %v", evs)
	}

	// After a restart the records come from the store.
	c.reopen()
	d, err := c.m.Dispute(did)
	if err != nil || d.Status != idao.DisputeUpheld || d.Ruling == nil || d.Ruling.Slashed != 2_400 {
		t.Fatalf("dispute after restart: %+v %v", d, err)
	}
	if _, err := c.m.Artifact(did); err == nil {
		t.Fatal("a dispute id reads as an artifact")
	}
}

// Kinds 17 and 18 reach the iDAO package (a malformed body is its
// bad-body failure), and the kind after them is unknown.
func TestDisputeKindsAreRouted(t *testing.T) {
	e := newEnv(t, nil)
	txs := []*types.Tx{stx(1, 0, idao.KindChallenge, []byte{1}), stx(1, 1, idao.KindRuling, []byte{1}), stx(1, 2, idao.LastKind+1, nil)}
	e.apply(block(1, txs...))
	for i, want := range []state.Code{state.Code(idao.BadBody), state.Code(idao.BadBody), state.UnknownKind} {
		if r := e.receipt(txs[i]); r.Code != want {
			t.Errorf("tx %d (kind %d): %s, want %s", i, txs[i].Kind, r.Code, want)
		}
	}
	if !bytes.Contains([]byte(e.receipt(txs[0]).Reason), []byte("challenge body")) {
		t.Errorf("reason %q", e.receipt(txs[0]).Reason)
	}
}

// A dispute nobody rules on expires at the end of its deadline block,
// written by the machine: the bond comes back and the artifact is
// attested again.
func TestDisputeExpiresThroughTheMachine(t *testing.T) {
	c := newDisputeChain(t)
	id, _ := c.attested()
	start := c.balance(3)
	c.block(send(3, idao.KindChallenge, idao.Challenge{Artifact: id, Claim: idao.ClaimWrongDigest, Bond: 500}.Encode()))
	did := idao.DisputeID(id, idao.ClaimWrongDigest)
	deadline := c.height + 50
	for c.height < deadline {
		c.block()
	}
	d, err := c.m.Dispute(did)
	if err != nil || d.Status != idao.DisputeExpired || d.Closed != deadline {
		t.Fatalf("dispute at its deadline: %+v %v", d, err)
	}
	if a, _ := c.m.Artifact(id); a.Status != idao.Attested || c.balance(3) != start || len(c.m.IDAOs().OpenDisputes()) != 0 {
		t.Fatalf("artifact %s, challenger %d want %d", a.Status, c.balance(3), start)
	}
	if evs, _ := c.m.Events(deadline); len(evs) == 0 || evs[0].Type != "dispute.expired" {
		t.Fatalf("events at the deadline %v", evs)
	}
	c.checkSupply()
}
