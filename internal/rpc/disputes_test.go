package rpc

import (
	"crypto/ed25519"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/lazchain/lazchain/internal/config"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// Bad queries on the dispute and event routes get a 4xx JSON error naming
// what was wrong; unknown ids are 404; a limit out of 1..1000 is refused,
// not clamped.
func TestDisputeRoutesRejectBadInput(t *testing.T) {
	tn := startNode(t)
	zero := strings.Repeat("00", 32)
	cases := []struct {
		method string
		path   string
		status int
		code   string // empty: only the status is checked
	}{
		{"GET", "/disputes/xyz", 400, "bad_id"},
		{"GET", "/disputes/" + strings.Repeat("ab", 31), 400, "bad_id"},
		{"GET", "/disputes/" + strings.Repeat("ab", 33), 400, "bad_id"},
		{"GET", "/disputes/" + zero, 404, "not_found"},
		{"GET", "/disputes?limit=0", 400, "bad_limit"},
		{"GET", "/disputes?limit=1001", 400, "bad_limit"},
		{"GET", "/disputes?limit=ten", 400, "bad_limit"},
		{"GET", "/disputes?status=closed", 400, "bad_status"},
		{"GET", "/disputes?status=OPEN", 400, "bad_status"},
		{"GET", "/disputes?after=12", 400, "bad_after"},
		{"GET", "/disputes?artifact=zz", 400, "bad_artifact"},
		{"GET", "/disputes?artifact=" + zero, 404, "not_found"},
		{"GET", "/events?from=abc", 400, "bad_from"},
		{"GET", "/events?from=-1", 400, "bad_from"},
		{"GET", "/events?from=18446744073709551616", 400, "bad_from"},
		{"GET", "/events?index=x", 400, "bad_index"},
		{"GET", "/events?index=4294967296", 400, "bad_index"},
		{"GET", "/events?limit=0", 400, "bad_limit"},
		{"GET", "/events?limit=1001", 400, "bad_limit"},
		{"GET", "/events?artifact=12", 400, "bad_artifact"},
		{"GET", "/events?kind=.", 400, "bad_kind"},
		{"GET", "/events?kind=" + strings.Repeat("a", 65), 400, "bad_kind"},
		{"GET", "/artifacts?status=done", 400, "bad_status"},
		{"POST", "/disputes", 405, ""},
		{"POST", "/disputes/" + zero, 405, ""},
		{"PUT", "/events", 405, ""},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := tn.do(t, tc.method, tc.path, "", nil)
			if r.status != tc.status {
				t.Fatalf("HTTP %d, want %d: %s", r.status, tc.status, truncate(r.body))
			}
			if tc.code != "" {
				if e := apiError(t, r); e.Code != tc.code {
					t.Fatalf("code %q (%s), want %q", e.Code, e.Message, tc.code)
				}
			}
		})
	}

	// The well-formed empty answers.
	ctx := testCtx(t)
	ds, err := tn.client.Disputes(ctx, DisputeQuery{Status: "open", Limit: 1000})
	if err != nil || ds.Disputes == nil || len(ds.Disputes) != 0 || ds.Next != "" {
		t.Fatalf("GET /disputes?status=open: %+v, %v", ds, err)
	}
	for _, p := range []string{"/disputes", "/events", "/events?from=0&kind=dispute.&limit=1000", "/artifacts?status=overturned"} {
		if _, err := tn.client.Get(ctx, p); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
	// A height beyond the tip is an empty page that says so, not an error.
	far := EventCursor{Height: 1 << 60, Index: 3}
	ev, err := tn.client.Events(ctx, far, "", types.Hash{}, 0)
	if err != nil || len(ev.Events) != 0 || ev.Next != far || ev.Stopped != stopTip || ev.Tip >= far.Height {
		t.Fatalf("events past the tip: %+v, %v", ev, err)
	}
}

// disputeNode is a one-validator chain with iDAO "q" of that validator,
// an artifact attested valid, and a funded challenger.
type disputeNode struct {
	*testNode
	bls        *bls.SecretKey
	challenger ed25519.PrivateKey
	artifact   types.Hash
}

func startDisputeNode(t *testing.T) *disputeNode {
	t.Helper()
	challenger := account(5)
	tn := startNodeGenesis(t, func(g *config.Genesis) {
		longEpochs(g)
		g.IDAO = &idao.Params{RotationBlocks: 1 << 20, VotingPeriod: 10, RulingBlocks: 1 << 20, SlashBps: 1000}
		g.Accounts = append(g.Accounts, config.GenesisAccount{Address: hex.EncodeToString(challenger.Public().(ed25519.PublicKey)), Balance: 10_000})
	})
	sk, err := bls.GenerateKey(seeded("bls", 0))
	if err != nil {
		t.Fatal(err)
	}
	dn := &disputeNode{testNode: tn, bls: sk, challenger: challenger}
	ctx := testCtx(t)
	operator := ed25519.NewKeyFromSeed(seeded("node", 0))
	var member staking.Address
	copy(member[:], operator.Public().(ed25519.PublicKey))
	p := idao.DefaultPolicy()
	p.CommitteeSize, p.DisputeBond, p.ChallengeWindow = 1, 500, 1<<20
	dn.send(t, operator, idao.KindCreate, idao.Create{Name: "q", Policy: p, Members: []staking.Address{member}}.Encode())

	sub := idao.Submit{IDAO: "q", Kind: verify.KindDataset, Root: types.Hash{7}, Size: 100, ChunkSize: idao.MinChunkSize, Format: "csv", Name: "d.csv"}
	dn.send(t, challenger, idao.KindSubmit, sub.Encode())
	dn.artifact = idao.ArtifactID(sub)
	rot, _ := tn.node.IDAOState().Rotation()
	at := idao.Attest{Artifact: dn.artifact, Verdict: true, Digest: types.Hash{0xC}, Rotation: rot, Signers: types.NewBitmap(1)}
	at.Signers.Set(0)
	at.Sig = sk.Sign(idao.VoteBytes(testChain, "q", dn.artifact, true, at.Digest, rot))
	dn.send(t, challenger, idao.KindAttest, at.Encode())
	if v, err := tn.client.Artifact(ctx, dn.artifact); err != nil || v.Status != "attested" || v.Final {
		t.Fatalf("setup: artifact %+v, %v", v, err)
	}
	return dn
}

func (dn *disputeNode) send(t *testing.T, key ed25519.PrivateKey, kind uint16, body []byte) TxView {
	t.Helper()
	v, err := dn.client.SendTx(testCtx(t), key, kind, body)
	if err != nil {
		t.Fatalf("kind %d: %v", kind, err)
	}
	return v
}

// rule has the validator set (the one validator) rule on id.
func (dn *disputeNode) rule(t *testing.T, id types.Hash, forChallenger bool, res verify.Result) {
	t.Helper()
	u := idao.Ruling{Dispute: id, ForChallenger: forChallenger, Verdict: res.Valid, Digest: res.Digest, Reason: res.Reason,
		Epoch: dn.node.Epoch(), Signers: types.NewBitmap(1)}
	u.Signers.Set(0)
	u.Sig = dn.bls.Sign(idao.RulingSigningBytes(testChain, id, forChallenger, res.Valid, res.Digest, u.Epoch))
	dn.send(t, dn.challenger, idao.KindRuling, u.Encode())
}

// Two disputes over one certificate through the API: both open and the
// artifact disputed; the ruling for one overturns the artifact and
// supersedes the other; the event log tells the story in order.
func TestDisputeLifecycleThroughTheAPI(t *testing.T) {
	dn := startDisputeNode(t)
	ctx := testCtx(t)
	c := dn.client
	art := hex.EncodeToString(dn.artifact[:])
	digestClaim, verdictClaim := idao.DisputeID(dn.artifact, idao.ClaimWrongDigest), idao.DisputeID(dn.artifact, idao.ClaimWrongVerdict)
	opened := dn.send(t, dn.challenger, idao.KindChallenge, idao.Challenge{Artifact: dn.artifact, Claim: idao.ClaimWrongDigest, Bond: 500, Note: "digest is off"}.Encode())
	dn.send(t, dn.challenger, idao.KindChallenge, idao.Challenge{Artifact: dn.artifact, Claim: idao.ClaimWrongVerdict, Bond: 500}.Encode())

	d, err := c.Dispute(ctx, digestClaim)
	if err != nil {
		t.Fatal(err)
	}
	challenger := hex.EncodeToString(dn.challenger.Public().(ed25519.PublicKey))
	want := DisputeView{ID: hex.EncodeToString(digestClaim[:]), Artifact: art, IDAO: "q", Claim: "wrong-digest", Challenger: challenger,
		Bond: 500, Opened: opened.Height, Deadline: opened.Height + 1<<20, Status: "open", CertVerdict: "valid",
		CertDigest: hex.EncodeToString([]byte{0xC}) + strings.Repeat("00", 31), Note: "digest is off"}
	if d != want {
		t.Fatalf("GET /disputes/{id}:\n got %+v\nwant %+v", d, want)
	}
	a, err := c.Artifact(ctx, dn.artifact)
	if err != nil || a.Status != "disputed" || a.Final || a.Verdict != "valid" || len(a.Disputes) != 2 || a.Disputes[0] != want.ID {
		t.Fatalf("artifact while disputed: %+v, %v", a, err)
	}
	// Pages of one, in id order, under each selection that includes both.
	for _, q := range []DisputeQuery{{Status: "open"}, {Artifact: dn.artifact}, {}} {
		ids := disputeIDs(t, c, q)
		if !slices.IsSorted(ids) || len(ids) != 2 || !slices.Contains(ids, want.ID) {
			t.Fatalf("disputes %+v: %v", q, ids)
		}
	}

	truth := verify.Invalid("row 1: bad")
	dn.rule(t, verdictClaim, true, truth)

	a, err = c.Artifact(ctx, dn.artifact)
	if err != nil || a.Status != "overturned" || !a.Final || a.Verdict != "invalid" || a.Reason != truth.Reason ||
		a.OverturnedBy != hex.EncodeToString(verdictClaim[:]) || a.Certificate == nil {
		t.Fatalf("artifact after the ruling: %+v, %v", a, err)
	}
	up, err := c.Dispute(ctx, verdictClaim)
	r := up.Ruling
	if err != nil || up.Status != "upheld" || r == nil || !r.ForChallenger || r.Verdict != "invalid" || r.Reason != truth.Reason ||
		r.Height != up.Closed || r.SignedPower != r.TotalPower || !slices.Equal(r.Signers, []int{0}) || r.SlashedCount != 1 || r.Slashed == 0 {
		t.Fatalf("upheld dispute: %+v %+v, %v", up, r, err)
	}
	if ids := disputeIDs(t, c, DisputeQuery{Status: "superseded"}); !slices.Equal(ids, []string{want.ID}) {
		t.Fatalf("superseded: %v", ids)
	}
	if ids := disputeIDs(t, c, DisputeQuery{Status: "open"}); len(ids) != 0 {
		t.Fatalf("still open: %v", ids)
	}

	// The artifact's dispute events, followed a page of one at a time.
	var types_ []string
	from := EventCursor{Height: 1}
	for {
		p, err := c.Events(ctx, from, "dispute.", dn.artifact, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Events {
			if e.Artifact != art || e.IDAO != "q" || e.Height < opened.Height {
				t.Fatalf("event %+v", e)
			}
			types_ = append(types_, e.Type)
		}
		if p.Stopped == stopTip {
			break
		}
		from = p.Next
	}
	if want := []string{"dispute.opened", "dispute.opened", "dispute.ruled", "dispute.superseded"}; !slices.Equal(types_, want) {
		t.Fatalf("dispute events %v, want %v", types_, want)
	}
	p, err := c.Events(ctx, EventCursor{Height: 1}, "artifact.overturned", types.Hash{}, 0)
	if err != nil || len(p.Events) != 1 || p.Events[0].Height != up.Closed || p.Stopped != stopTip {
		t.Fatalf("overturn event: %+v, %v", p, err)
	}
}

// disputeIDs follows the pages of q, one dispute per page.
func disputeIDs(t *testing.T, c *Client, q DisputeQuery) []string {
	t.Helper()
	q.Limit = 1
	var ids []string
	for range 10 {
		v, err := c.Disputes(testCtx(t), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range v.Disputes {
			ids = append(ids, d.ID)
		}
		if v.Next == "" {
			return ids
		}
		if q.After, err = parseHash(v.Next); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatalf("paging %+v does not end: %v", q, ids)
	return nil
}
