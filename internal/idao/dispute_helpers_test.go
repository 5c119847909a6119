package idao

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
)

// Stakes of the dispute fixture: validator 3 alone holds half, so two
// thirds of the set is exactly validators 3 and 0.
var disputeStakes = []uint64{10_000, 10_000, 10_000, 30_000}

const (
	testBond  = 1001 // not a multiple of the signers' stake, to test the remainder
	testChunk = MinChunkSize
)

var (
	challenger = op(99)
	rival      = op(98) // a second challenger
	certDigest = types.Hash{0xC0}
)

// fixture is a world with one artifact of four real chunks, attested
// valid with digest certDigest by committee seats 0, 1 and 3 (50,000 of
// 60,000) at height 2; seat i is validator i.
type fixture struct {
	*world
	a      *Artifact
	chunks [][]byte
	leaves []merkle.Hash
	liquid uint64 // the bank's genesis total, for supply checks
}

func newFixture(t *testing.T) *fixture { return newFixtureWindow(t, DefaultPolicy().ChallengeWindow) }

// newFixtureWindow is newFixture with the iDAO's challenge window.
func newFixtureWindow(t *testing.T, window uint64) *fixture {
	t.Helper()
	w := newWorld(t, disputeStakes...)
	w.bank.SetBalance(rival, 1_000_000)
	p := DefaultPolicy()
	p.DisputeBond = testBond
	p.ChallengeWindow = window
	w.create("q", p, 0, 1, 2, 3)
	f := &fixture{world: w}
	f.liquid, _ = w.bank.(staking.MapBank).Sum()
	r := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{testChunk, testChunk, testChunk, 100} {
		c := make([]byte, n)
		for i := range c {
			c[i] = byte(r.Uint32())
		}
		f.chunks = append(f.chunks, c)
		f.leaves = append(f.leaves, merkle.LeafHash(c))
	}
	sub := sampleSubmit("q", 1)
	sub.Root, sub.Size, sub.ChunkSize = merkle.Root(f.leaves), 3*testChunk+100, testChunk
	if code := w.exec(op(99), KindSubmit, sub.Encode()); code != 0 {
		t.Fatalf("submit: %s", code)
	}
	w.height = 2
	a := mustArtifact(t, w, ArtifactID(sub))
	if code := w.exec(op(0), KindAttest, w.certify(a, 0, true, certDigest, 0, 1, 3).Encode()); code != 0 {
		t.Fatalf("attest: %s", code)
	}
	w.height = 3
	f.a = mustArtifact(t, w, a.ID)
	return f
}

// proof is a genuine fraud proof of chunk i.
func (f *fixture) proof(i int) *FraudProof {
	p, err := merkle.Prove(f.leaves, uint64(i))
	if err != nil {
		f.t.Fatal(err)
	}
	fp := &FraudProof{Index: uint64(i), Chunk: slices.Clone(f.chunks[i])}
	for _, h := range p.Path {
		fp.Path = append(fp.Path, types.Hash(h))
	}
	return fp
}

// open opens a dispute over claim from sender and returns its id.
func (f *fixture) open(sender staking.Address, claim Claim) types.Hash {
	f.t.Helper()
	if code := f.exec(sender, KindChallenge, Challenge{Artifact: f.a.ID, Claim: claim, Bond: testBond}.Encode()); code != 0 {
		f.t.Fatalf("challenge %s: %s", claim, code)
	}
	return DisputeID(f.a.ID, claim)
}

// rule builds a ruling signed by the validators in vals, found by
// operator in the current active set.
func (w *world) rule(id types.Hash, forC, verdict bool, digest types.Hash, reason string, vals ...int) Ruling {
	w.t.Helper()
	set := w.stake.Active()
	u := Ruling{Dispute: id, ForChallenger: forC, Verdict: verdict, Digest: digest, Reason: reason, Epoch: w.stake.Epoch(),
		Signers: types.NewBitmap(len(set))}
	msg := RulingSigningBytes(testChain, id, forC, verdict, digest, u.Epoch)
	var sigs [][]byte
	for _, v := range vals {
		i := slices.IndexFunc(set, func(m staking.Member) bool { return m.Operator == op(v) })
		u.Signers.Set(i)
		sigs = append(sigs, blsKey(v).Sign(msg))
	}
	agg, err := (bls.Scheme{}).Aggregate(sigs)
	if err != nil {
		w.t.Fatal(err)
	}
	u.Sig = agg
	return u
}

// snapshot is everything a transaction could change: the iDAO and
// staking state, balances and records.
func (w *world) snapshot() []byte {
	var b bytes.Buffer
	b.Write(w.st.Encode())
	b.Write(w.stake.Encode())
	bank := w.bank.(staking.MapBank)
	accts := make([]staking.Address, 0, len(bank))
	for a := range bank {
		accts = append(accts, a)
	}
	slices.SortFunc(accts, cmpAddr)
	for _, a := range accts {
		fmt.Fprintf(&b, "%x=%d;", a, bank[a])
	}
	for _, id := range sortedKeys(w.rec.arts) {
		b.Write(w.rec.arts[id].Encode())
	}
	for _, id := range sortedKeys(w.rec.disputes) {
		b.Write(w.rec.disputes[id].Encode())
	}
	fmt.Fprintf(&b, "events %d comms %d", len(w.rec.events), len(w.rec.comms))
	return b.Bytes()
}

func sortedKeys[V any](m map[types.Hash]V) []types.Hash {
	out := make([]types.Hash, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b types.Hash) int { return bytes.Compare(a[:], b[:]) })
	return out
}

// checkSupply asserts that no token was created or lost: every balance
// (escrows included) plus bonded and unbonding stake is the genesis
// liquid supply plus what staking minted minus what it burned.
func (f *fixture) checkSupply() {
	f.t.Helper()
	sum, ok := f.bank.(staking.MapBank).Sum()
	if !ok {
		f.t.Fatal("balances overflow")
	}
	if err := f.stake.CheckSupply(sum, f.liquid); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) dispute(id types.Hash) *Dispute {
	f.t.Helper()
	d, ok := f.rec.Dispute(id)
	if !ok {
		f.t.Fatalf("no dispute %x", id[:8])
	}
	return d
}

func (f *fixture) tokens(i int) uint64 {
	v, _ := f.stake.Validator(op(i))
	return v.Tokens
}

func (f *fixture) events(typ string) []Event {
	var out []Event
	for _, e := range f.rec.events {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}
