package safety_test

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto"
	"github.com/lazchain/lazchain/internal/crypto/simsig"
	"github.com/lazchain/lazchain/internal/safety"
	"github.com/lazchain/lazchain/internal/types"
)

const (
	chainID   = "lazchain-safety-test"
	testEpoch = uint64(3)
	testIndex = uint32(2)
)

// countingStorage wraps a Storage to count the Store calls that reached it
// and to make Store fail on demand. Counting is how the tests prove that a
// refused or replayed request wrote nothing.
type countingStorage struct {
	inner  safety.Storage
	stores int
	fail   error // when set, Store returns it and stores nothing
}

func (c *countingStorage) Load() (safety.Data, error) { return c.inner.Load() }

func (c *countingStorage) Store(d safety.Data) error {
	if c.fail != nil {
		return c.fail
	}
	c.stores++
	return c.inner.Store(d)
}

var errDiskFull = errors.New("test: disk full")

// fixture is one signer in testEpoch with index testIndex over a counting
// MemStorage, plus the scheme that must verify what it signs.
type fixture struct {
	t      *testing.T
	scheme crypto.Scheme
	store  *countingStorage
	rules  *safety.Rules
	index  uint32
}

// simKey derives a simsig key from seed in a fresh registry; the same seed
// gives the same key in every process, which the crash test relies on.
func simKey(seed string) (crypto.Scheme, crypto.Signer) {
	reg := simsig.NewRegistry()
	return reg.Scheme(), simsig.NewKey(reg, []byte(seed))
}

func newFixture(t *testing.T) *fixture {
	scheme, key := simKey("safety-test-key")
	return newFixtureWith(t, scheme, key)
}

func newFixtureWith(t *testing.T, scheme crypto.Scheme, key crypto.Signer) *fixture {
	t.Helper()
	store := &countingStorage{inner: &safety.MemStorage{}}
	r, err := safety.New(chainID, key, store)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := r.StartEpoch(testEpoch, testIndex); err != nil {
		t.Fatalf("StartEpoch: %v", err)
	}
	store.stores = 0
	return &fixture{t: t, scheme: scheme, store: store, rules: r, index: testIndex}
}

// parentID names the certified block of a round. The rules never look at
// ancestry, so one id per (epoch, round) is enough.
func parentID(epoch, round uint64) types.Hash {
	return types.HashOf(fmt.Appendf(nil, "parent/%d/%d", epoch, round))
}

func qcIn(epoch, round uint64) *types.QC {
	if round == 0 {
		return types.GenesisQC(epoch, parentID(epoch, 0))
	}
	signers := types.NewBitmap(4)
	signers.Set(0)
	return &types.QC{Epoch: epoch, Round: round, BlockID: parentID(epoch, round), Signers: signers, Sig: []byte{1, 2, 3}}
}

func qc(round uint64) *types.QC { return qcIn(testEpoch, round) }

// blockIn builds a block of round over a QC of qcRound. variant becomes the
// proposer and so changes the id: variants 0 and 1 are conflicting blocks
// of one round.
func blockIn(epoch, round, qcRound uint64, variant uint32) *types.Block {
	return types.NewBlock(epoch, round, round, qcIn(epoch, qcRound), variant, nil)
}

func blk(round, qcRound uint64, variant uint32) *types.Block {
	return blockIn(testEpoch, round, qcRound, variant)
}

// tcIn builds a TC of round whose signers reported hqcRounds.
func tcIn(epoch, round uint64, hqcRounds ...uint64) *types.TC {
	signers := types.NewBitmap(len(hqcRounds))
	for i := range hqcRounds {
		signers.Set(i)
	}
	return &types.TC{Epoch: epoch, Round: round, Signers: signers, HQCRounds: hqcRounds, Sig: []byte{9}}
}

func tc(round uint64, hqcRounds ...uint64) *types.TC { return tcIn(testEpoch, round, hqcRounds...) }

// signed is one request's reply with the bytes its signature must cover,
// computed from the request rather than from the reply, so a signer that
// signed the wrong fields is caught.
type signed struct {
	msg     []byte
	sig     []byte
	vote    *types.Vote
	timeout *types.Timeout
}

type request func(f *fixture) (signed, error)

func vote(b *types.Block, parentQCRound uint64, tc *types.TC) request {
	return func(f *fixture) (signed, error) {
		v, err := f.rules.Vote(b, parentQCRound, tc)
		if err != nil {
			if v != nil {
				f.t.Errorf("Vote returned a vote with error %v", err)
			}
			return signed{}, err
		}
		if v.Epoch != b.Epoch || v.Round != b.Round || v.BlockID != b.ID() {
			f.t.Errorf("vote (%d, %d, %s) for block (%d, %d, %s)", v.Epoch, v.Round, v.BlockID.Short(), b.Epoch, b.Round, b.ID().Short())
		}
		return signed{msg: types.VoteSigningBytes(chainID, b.Epoch, b.Round, b.ID()), sig: v.Sig, vote: v}, nil
	}
}

func timeout(epoch, round uint64, hqc *types.QC, lastTC *types.TC) request {
	return func(f *fixture) (signed, error) {
		t, err := f.rules.Timeout(epoch, round, hqc, lastTC)
		if err != nil {
			if t != nil {
				f.t.Errorf("Timeout returned a timeout with error %v", err)
			}
			return signed{}, err
		}
		if t.Epoch != epoch || t.Round != round {
			f.t.Errorf("timeout (%d, %d) for request (%d, %d)", t.Epoch, t.Round, epoch, round)
		}
		return signed{msg: types.TimeoutSigningBytes(chainID, epoch, round, hqc.Round), sig: t.Sig, timeout: t}, nil
	}
}

func propose(b *types.Block) request {
	return func(f *fixture) (signed, error) {
		sig, err := f.rules.SignProposal(b)
		if err != nil {
			if sig != nil {
				f.t.Errorf("SignProposal returned a signature with error %v", err)
			}
			return signed{}, err
		}
		return signed{msg: types.ProposalSigningBytes(chainID, b.Epoch, b.Round, b.ID()), sig: sig}, nil
	}
}

// must runs setup requests, each of which has to be signed.
func (f *fixture) must(reqs ...request) {
	f.t.Helper()
	for i, req := range reqs {
		if _, err := req(f); err != nil {
			f.t.Fatalf("setup request %d: %v", i, err)
		}
	}
}

type outcome int

const (
	fresh   outcome = iota // newly signed, verified and stored
	replay                 // the stored vote or timeout, returned as is
	refused                // ErrUnsafe
)

func (o outcome) String() string { return [...]string{"fresh", "replay", "refused"}[o] }

// expect runs req and checks the outcome and its side effects: a fresh
// signature verifies and was stored exactly once before it was returned; a
// replay and a refusal leave the data and the storage untouched.
func (f *fixture) expect(req request, want outcome) signed {
	t := f.t
	t.Helper()
	before, stores := f.rules.Data(), f.store.stores
	enc := before.Encode() // also catches in-place changes behind pointers
	got, err := req(f)
	switch want {
	case fresh:
		if err != nil {
			t.Fatalf("want a fresh signature, got %v", err)
		}
		if !f.scheme.Verify(f.rules.PublicKey(), got.msg, got.sig) {
			t.Errorf("signature does not verify over the signing bytes of the request")
		}
		if (got.vote != nil && got.vote.Voter != f.index) || (got.timeout != nil && got.timeout.Voter != f.index) {
			t.Errorf("signed as another validator, want index %d", f.index)
		}
		if f.store.stores != stores+1 {
			t.Errorf("%d stores for one signature, want 1", f.store.stores-stores)
		}
		if stored, _ := f.store.inner.Load(); !bytes.Equal(encode(stored), encode(f.rules.Data())) {
			t.Errorf("stored data %+v differs from the signer's %+v", stored, f.rules.Data())
		}
	case replay:
		if err != nil {
			t.Fatalf("want the stored message again, got %v", err)
		}
		switch {
		case got.vote != nil && got.vote != before.LastVote:
			t.Errorf("vote %+v is not the stored %+v", got.vote, before.LastVote)
		case got.timeout != nil && got.timeout != before.LastTimeout:
			t.Errorf("timeout %+v is not the stored %+v", got.timeout, before.LastTimeout)
		case got.vote == nil && got.timeout == nil:
			t.Errorf("only votes and timeouts are replayed")
		}
		f.unchanged(before, enc, stores)
	case refused:
		if !errors.Is(err, safety.ErrUnsafe) {
			t.Fatalf("want ErrUnsafe, got %v", err)
		}
		f.unchanged(before, enc, stores)
	}
	return got
}

func (f *fixture) unchanged(before safety.Data, enc []byte, stores int) {
	f.t.Helper()
	if after := f.rules.Data(); !reflect.DeepEqual(after, before) || !bytes.Equal(after.Encode(), enc) {
		f.t.Errorf("data changed:\n before %+v\n after  %+v", before, after)
	}
	if f.store.stores != stores {
		f.t.Errorf("%d stores, want none", f.store.stores-stores)
	}
}

// ruleCase is one table row: setup requests that must all be signed, then
// the request under test and what it must do.
type ruleCase struct {
	name  string
	setup []request
	req   request
	want  outcome
	check func(t *testing.T, d safety.Data) // optional, on the data after req
}

func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			f.must(c.setup...)
			f.expect(c.req, c.want)
			if c.check != nil {
				c.check(t, f.rules.Data())
			}
		})
	}
}

// rounds returns a check on the four round fields.
func rounds(lastVoted, preferred, oneChain, lastProposed uint64) func(*testing.T, safety.Data) {
	return func(t *testing.T, d safety.Data) {
		t.Helper()
		got := [4]uint64{d.LastVotedRound, d.PreferredRound, d.OneChainRound, d.LastProposedRound}
		if want := [4]uint64{lastVoted, preferred, oneChain, lastProposed}; got != want {
			t.Errorf("rounds (voted, preferred, one-chain, proposed) = %v, want %v", got, want)
		}
	}
}

// encode is Data.Encode for values that are not addressable.
func encode(d safety.Data) []byte { return d.Encode() }
