package attestor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/blobnet"
	"github.com/lazchain/lazchain/internal/crypto"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/p2p"
	"github.com/lazchain/lazchain/internal/quorum"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

const testChain = "dispute-test"

// fakeChain is the committed state every attestor of a disputeNet reads;
// only the open-dispute list is per node (see disputeNode.open).
type fakeChain struct {
	dao      *idao.State
	stk      *staking.State
	art      *idao.Artifact
	disputes map[types.Hash]*idao.Dispute
}

func (c *fakeChain) IDAOs() *idao.State      { return c.dao }
func (c *fakeChain) Staking() *staking.State { return c.stk }
func (c *fakeChain) Artifact(id types.Hash) (*idao.Artifact, error) {
	if id != c.art.ID {
		return nil, errors.New("no such artifact")
	}
	return c.art, nil
}
func (c *fakeChain) Dispute(id types.Hash) (*idao.Dispute, error) {
	if d, ok := c.disputes[id]; ok {
		return d, nil
	}
	return nil, errors.New("no such dispute")
}

// disputeNode is one validator of a disputeNet.
type disputeNode struct {
	a      *Attestor
	id     p2p.NodeID
	open   atomic.Pointer[[]idao.OpenDispute]
	fetchs atomic.Int32
}

// disputeNet is a set of attestors wired to each other in memory, each
// a validator of equal stake; rulings land in submitted.
type disputeNet struct {
	chain     *fakeChain
	nodes     []*disputeNode
	submitted chan []byte
}

type netSpec struct {
	validators int
	faulty     []int // approve-all
	fetch      func(ctx context.Context) error
	honest     verify.Result // what an honest verifier gives
}

func newDisputeNet(t *testing.T, spec netSpec) *disputeNet {
	t.Helper()
	vals, keys, stk, dao := testValidators(t, spec.validators)
	sub := idao.Submit{IDAO: "data", Kind: 1, Format: "csv", Root: types.Hash{0xB0}, Size: 100, ChunkSize: 4096}
	net := &disputeNet{chain: &fakeChain{dao: dao, stk: stk, disputes: map[types.Hash]*idao.Dispute{},
		art: &idao.Artifact{ID: idao.ArtifactID(sub), Submit: sub}}, submitted: make(chan []byte, 64)}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	byID := map[p2p.NodeID]*disputeNode{}
	for i, k := range keys {
		n := &disputeNode{id: p2p.NodeID(vals[i].NodeID)}
		n.open.Store(&[]idao.OpenDispute{})
		fault := Honest
		for _, f := range spec.faulty {
			if f == i {
				fault = ApproveAll
			}
		}
		honest := spec.honest
		n.a = New(Config{ChainID: testChain, Key: k, Chain: net.chain, Log: slog.New(slog.DiscardHandler),
			Fetch: func(ctx context.Context, _ blobnet.Want) error {
				n.fetchs.Add(1)
				return spec.fetch(ctx)
			},
			Verify: func(context.Context, verify.Input) (verify.Result, error) { return honest, nil },
			Send: func(to p2p.NodeID, payload []byte) bool {
				if peer := byID[to]; peer != nil {
					peer.a.OnVote(n.id, payload)
				}
				return true
			},
			Submit: func(kind uint16, body []byte) error {
				if kind == idao.KindRuling {
					net.submitted <- body
				}
				return nil
			},
			Backup: 200 * time.Millisecond, UnavailableAfter: 300 * time.Millisecond, Fault: fault,
		})
		n.a.openDisputes = func() []idao.OpenDispute { return *n.open.Load() }
		byID[n.id] = n
		net.nodes = append(net.nodes, n)
	}
	for _, n := range net.nodes {
		go n.a.Run(ctx)
	}
	return net
}

// open commits a dispute over the net's artifact at the given nodes.
func (net *disputeNet) open(claim idao.Claim, cert verify.Result, at ...int) *idao.Dispute {
	dp := &idao.Dispute{ID: idao.DisputeID(net.chain.art.ID, claim), Artifact: net.chain.art.ID, IDAO: "data", Claim: claim,
		Deadline: 1000, CertVerdict: cert.Valid, CertDigest: cert.Digest, Status: idao.DisputeOpen}
	if _, ok := net.chain.disputes[dp.ID]; !ok {
		net.chain.art.Verdict, net.chain.art.Digest, net.chain.art.Reason = cert.Valid, cert.Digest, cert.Reason
		net.chain.disputes[dp.ID] = dp
	}
	for _, i := range at {
		net.nodes[i].open.Store(&[]idao.OpenDispute{{ID: dp.ID, Deadline: dp.Deadline}})
		net.nodes[i].a.Notify()
	}
	return dp
}

func (net *disputeNet) close(at ...int) {
	for _, i := range at {
		net.nodes[i].open.Store(&[]idao.OpenDispute{})
		net.nodes[i].a.Notify()
	}
}

func all(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// checkRuling applies the chain's checks of a ruling's signature
// (idao.checkRulingSig) and side (chainAccepts) and returns its signers.
func (net *disputeNet) checkRuling(t *testing.T, dp *idao.Dispute, body []byte) (idao.Ruling, []int) {
	t.Helper()
	u, err := idao.DecodeRuling(body)
	if err != nil {
		t.Fatal(err)
	}
	set := net.chain.stk.Active()
	if err := u.Signers.CheckSize(len(set)); err != nil {
		t.Fatal(err)
	}
	var signed, total uint64
	var pks []crypto.PublicKey
	for _, m := range set {
		total += m.Power
	}
	for _, i := range u.Signers.Indices() {
		pk, _ := (bls.Scheme{}).ParsePublicKey(set[i].BLSKey)
		pks = append(pks, pk)
		signed += set[i].Power
	}
	msg := idao.RulingSigningBytes(testChain, u.Dispute, u.ForChallenger, u.Verdict, u.Digest, u.Epoch)
	if u.Dispute != dp.ID || u.Epoch != net.chain.stk.Epoch() || !quorum.Reached(signed, total) || !(bls.Scheme{}).VerifyAggregate(pks, msg, u.Sig) {
		t.Fatalf("the chain would refuse the ruling's signature: %+v (stake %d of %d)", u, signed, total)
	}
	if why := chainAccepts(dp, choice{ForChallenger: u.ForChallenger, Verdict: u.Verdict, Digest: u.Digest, Reason: u.Reason}); why != "" {
		t.Fatalf("the chain would refuse the ruling's side: %s: %+v", why, u)
	}
	return u, u.Signers.Indices()
}

func (net *disputeNet) waitRuling(t *testing.T, limit time.Duration) []byte {
	t.Helper()
	select {
	case b := <-net.submitted:
		return b
	case <-time.After(limit):
		t.Fatalf("no ruling within %s", limit)
		return nil
	}
}

// TestDisputeRulings drives whole disputes through four in-memory
// validators: each fetches, re-runs the verifier, signs its side and
// sends it; the designated one aggregates and submits the ruling.
func TestDisputeRulings(t *testing.T) {
	fetched := func(context.Context) error { return nil }
	missing := func(context.Context) error { return blobnet.ErrUnavailable }
	bad := verify.Invalid("row 3: column \"age\": \"x\" is not an int")
	good := verify.Result{Valid: true, Digest: types.Hash{0x60, 0x0D}}
	tests := []struct {
		name    string
		faulty  []int
		fetch   func(context.Context) error
		honest  verify.Result // what honest verifiers find
		claim   idao.Claim
		cert    verify.Result
		late    []int // nodes that see the dispute open a second after the others
		want    *choice
		signers []int
	}{
		{name: "a Byzantine certificate is overturned; its signer votes against", faulty: []int{0}, fetch: fetched,
			honest: bad, claim: idao.ClaimWrongVerdict, cert: ApproveResult,
			want: &choice{ForChallenger: true, Verdict: false, Digest: bad.Digest, Reason: bad.Reason}, signers: []int{1, 2, 3}},
		{name: "votes that arrive before the dispute is open are held", fetch: fetched, late: []int{2, 3},
			honest: bad, claim: idao.ClaimWrongVerdict, cert: ApproveResult,
			want: &choice{ForChallenger: true, Verdict: false, Digest: bad.Digest, Reason: bad.Reason}, signers: []int{0, 1, 2, 3}},
		{name: "a right certificate is defended", fetch: fetched,
			honest: good, claim: idao.ClaimWrongDigest, cert: good,
			want: &choice{Verdict: true, Digest: good.Digest}, signers: []int{0, 1, 2, 3}},
		{name: "a right invalid certificate is defended with its reason", faulty: []int{3}, fetch: fetched,
			honest: bad, claim: idao.ClaimWrongVerdict, cert: bad,
			want: &choice{Verdict: false, Digest: bad.Digest, Reason: bad.Reason}, signers: []int{0, 1, 2, 3}},
		{name: "bytes nobody serves: unavailable", faulty: []int{2}, fetch: missing,
			honest: good, claim: idao.ClaimUnavailable, cert: ApproveResult,
			want:    &choice{ForChallenger: true, Verdict: false, Digest: idao.UnavailableResult.Digest, Reason: idao.UnavailableResult.Reason},
			signers: []int{0, 1, 3}},
		{name: "half the stake Byzantine: neither side passes two thirds", faulty: []int{0, 1}, fetch: fetched,
			honest: bad, claim: idao.ClaimWrongVerdict, cert: ApproveResult},
		{name: "a claim the bytes do not support: everyone abstains", fetch: fetched,
			honest: bad, claim: idao.ClaimUnavailable, cert: ApproveResult},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			net := newDisputeNet(t, netSpec{validators: 4, faulty: tc.faulty, fetch: tc.fetch, honest: tc.honest})
			var early []int
			for _, i := range all(4) {
				if !contains(tc.late, i) {
					early = append(early, i)
				}
			}
			dp := net.open(tc.claim, tc.cert, early...)
			if len(tc.late) > 0 {
				time.Sleep(time.Second)
				net.open(tc.claim, tc.cert, tc.late...)
			}
			if tc.want == nil {
				select {
				case b := <-net.submitted:
					u, _ := idao.DecodeRuling(b)
					t.Fatalf("a ruling was submitted: %+v", u)
				case <-time.After(2 * time.Second):
				}
				return
			}
			u, signers := net.checkRuling(t, dp, net.waitRuling(t, 10*time.Second))
			got := choice{ForChallenger: u.ForChallenger, Verdict: u.Verdict, Digest: u.Digest, Reason: u.Reason}
			if got != *tc.want {
				t.Fatalf("ruling %+v, want %+v", got, *tc.want)
			}
			// The aggregator may submit as soon as more than two thirds
			// signed; a later resubmission carries every signer.
			for len(signers) < len(tc.signers) {
				_, signers = net.checkRuling(t, dp, net.waitRuling(t, 20*time.Second))
			}
			if fmt.Sprint(signers) != fmt.Sprint(tc.signers) {
				t.Fatalf("signers %v, want %v", signers, tc.signers)
			}
		})
	}
}

func contains(s []int, x int) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// TestDisputeWorkStopsWhenClosed: a dispute that closes while its bytes
// are being fetched ends the fetch, and no vote is signed for it.
func TestDisputeWorkStopsWhenClosed(t *testing.T) {
	var mu sync.Mutex
	var ended int
	blocking := func(ctx context.Context) error {
		<-ctx.Done()
		mu.Lock()
		ended++
		mu.Unlock()
		return ctx.Err()
	}
	net := newDisputeNet(t, netSpec{validators: 4, fetch: blocking, honest: verify.Invalid("bad")})
	net.open(idao.ClaimWrongVerdict, ApproveResult, all(4)...)
	deadline := time.Now().Add(5 * time.Second)
	for _, n := range net.nodes {
		for n.fetchs.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	net.close(all(4)...)
	for {
		mu.Lock()
		e := ended
		mu.Unlock()
		if e == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of 4 fetches ended after the dispute closed", e)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	for i, n := range net.nodes {
		n.a.mu.Lock()
		runs, busy := len(n.a.runs), n.a.disputesBusy
		n.a.mu.Unlock()
		if runs != 0 || busy != 0 || n.a.Stats.RulingVotes.Load() != 0 {
			t.Fatalf("node %d after close: %d runs, %d busy, %d votes", i, runs, busy, n.a.Stats.RulingVotes.Load())
		}
	}
}

// TestRulingVoteChecks: the cheap checks on a peer's reader goroutine.
func TestRulingVoteChecks(t *testing.T) {
	net := newDisputeNet(t, netSpec{validators: 4, fetch: func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }, honest: verify.Invalid("bad")})
	dp := net.open(idao.ClaimWrongVerdict, ApproveResult, 0)
	a := net.nodes[0].a
	deadline := time.Now().Add(5 * time.Second)
	for {
		a.mu.Lock()
		ready := a.view.open[dp.ID]
		a.mu.Unlock()
		if ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the dispute never opened at node 0")
		}
		time.Sleep(10 * time.Millisecond)
	}
	epoch := net.chain.stk.Epoch()
	v := func(signer uint32, epoch uint64, dispute types.Hash) []byte {
		return RulingVote{Dispute: dispute, Epoch: epoch, Signer: signer, Verdict: true, Digest: ApproveResult.Digest, Sig: []byte{1}}.Encode()
	}
	from := net.nodes[1].id
	if err := a.OnVote(from, v(1, epoch, dp.ID)); err != nil {
		t.Fatalf("a good vote: %v", err)
	}
	if err := a.OnVote(from, v(2, epoch, dp.ID)); !errors.Is(err, errRulingSeat) {
		t.Fatalf("a vote for another's seat: %v", err)
	}
	if err := a.OnVote(from, v(9, epoch, dp.ID)); !errors.Is(err, errRulingSeat) {
		t.Fatalf("a vote for a seat outside the set: %v", err)
	}
	if err := a.OnVote(from, []byte{msgRulingVote, 1, 2}); err == nil {
		t.Fatal("a malformed ruling vote is taken")
	}
	// Unknown disputes, or a later epoch: held, within the peer's budget.
	for i := 0; i < maxEarlyRulingsPerPeer; i++ {
		if err := a.OnVote(from, v(1, epoch, types.Hash{0xEE, byte(i)})); err != nil {
			t.Fatalf("early vote %d: %v", i, err)
		}
	}
	if err := a.OnVote(from, v(1, epoch+1, dp.ID)); !errors.Is(err, errEarlyRulingFlood) {
		t.Fatalf("past the budget: %v", err)
	}
	if err := a.OnVote(net.nodes[2].id, v(2, epoch+1, dp.ID)); err != nil {
		t.Fatalf("another peer's early vote: %v", err)
	}
}
