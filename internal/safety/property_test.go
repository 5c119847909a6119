package safety_test

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto"
	"github.com/lazchain/lazchain/internal/safety"
	"github.com/lazchain/lazchain/internal/types"
)

// TestPropertyNoEquivocation drives one signer with a long random mix of
// votes, timeouts and proposals over conflicting blocks, stale and future
// rounds, foreign epochs, epoch changes, failing writes and crashes with a
// reload from storage, and checks that everything it ever signed is
// consistent. The random choices are biased towards plausible requests, so
// that a good share is signed and the checks are not vacuous.
func TestPropertyNoEquivocation(t *testing.T) {
	cases := []struct {
		name  string
		file  bool
		seed  uint64
		steps int
	}{
		{"mem", false, 1, 8000},
		{"mem-2", false, 2, 8000},
		{"file", true, 3, 3000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			steps := c.steps
			if testing.Short() {
				steps /= 10
			}
			p := newProperty(t, c.file, c.seed)
			for range steps {
				p.step()
			}
			s := p.stats
			t.Logf("seed %d: %+v", c.seed, s)
			if s.votes < steps/20 || s.timeouts < steps/20 || s.proposals < steps/50 || s.replays == 0 || s.refused < steps/20 || s.restarts < steps/50 {
				t.Errorf("too few of some outcome for the run to mean much: %+v", s)
			}
		})
	}
}

type key struct{ epoch, round uint64 }

type property struct {
	t      *testing.T
	rng    *rand.Rand
	scheme crypto.Scheme
	signer crypto.Signer
	file   bool
	path   string
	mem    *safety.MemStorage
	store  *countingStorage
	rules  *safety.Rules
	epoch  uint64 // the node's epoch; requests mostly use it
	cur    uint64 // the node's idea of the current round

	// Everything ever signed, across restarts.
	votes     map[key]types.Hash
	timeouts  map[key]uint64 // high-QC round signed
	proposals map[key]bool
	// Per epoch, over everything signed: the highest vote or timeout round,
	// the lock (highest parent QC round voted over), and the highest QC
	// round voted or timed out with.
	voted, locked, oneChain map[uint64]uint64

	stats struct{ votes, timeouts, proposals, replays, refused, failed, restarts, epochs int }
}

func newProperty(t *testing.T, file bool, seed uint64) *property {
	scheme, signer := simKey("property-key")
	p := &property{
		t: t, rng: rand.New(rand.NewPCG(seed, seed*0x9e3779b97f4a7c15)), scheme: scheme, signer: signer,
		file: file, path: filepath.Join(t.TempDir(), "safety.dat"), mem: &safety.MemStorage{},
		epoch: 1, cur: 1,
		votes: map[key]types.Hash{}, timeouts: map[key]uint64{}, proposals: map[key]bool{},
		voted: map[uint64]uint64{}, locked: map[uint64]uint64{}, oneChain: map[uint64]uint64{},
	}
	p.restart()
	return p
}

// restart drops the signer as a crash would and builds a new one from what
// the storage holds. A file-backed crash may also leave a torn temp file.
func (p *property) restart() {
	var inner safety.Storage = p.mem
	if p.file {
		inner = safety.NewFileStorage(p.path)
		if p.rng.IntN(2) == 0 {
			if err := os.WriteFile(p.path+".tmp", []byte("torn"), 0o600); err != nil {
				p.t.Fatal(err)
			}
		}
	}
	p.store = &countingStorage{inner: inner}
	r, err := safety.New(chainID, p.signer, p.store)
	if err != nil {
		p.t.Fatalf("restart: %v", err)
	}
	if err := r.StartEpoch(p.epoch, testIndex); err != nil {
		p.t.Fatalf("restart in epoch %d: %v", p.epoch, err)
	}
	p.rules = r
}

// below returns a round in [lo, r-1], mostly r-1; r must be at least 1.
func (p *property) below(r, lo uint64) uint64 {
	if p.rng.IntN(5) < 3 || r-1 <= lo {
		return r - 1
	}
	return lo + p.rng.Uint64N(r-1-lo)
}

// maybeTC returns, sometimes, a TC of round r-1. Its high QCs are mostly
// at most qcRound, so that it justifies a block over that QC, which is what
// lets requests reach the lock check.
func (p *property) maybeTC(epoch, r, qcRound uint64) *types.TC {
	if r < 2 || p.rng.IntN(3) == 0 {
		return nil
	}
	hqcs := make([]uint64, 1+p.rng.IntN(3))
	for i := range hqcs {
		if p.rng.IntN(4) == 0 {
			hqcs[i] = p.below(r-1, 0)
		} else {
			hqcs[i] = p.rng.Uint64N(min(qcRound, r-2) + 1)
		}
	}
	return tcIn(epoch, r-1, hqcs...)
}

func (p *property) step() {
	switch x := p.rng.IntN(100); {
	case x < 3:
		p.stats.restarts++
		p.restart()
		return
	case x < 4:
		p.stats.epochs++
		p.epoch, p.cur = p.epoch+1, 1
		if err := p.rules.StartEpoch(p.epoch, testIndex); err != nil {
			p.t.Fatal(err)
		}
		return
	case x < 40:
		p.cur++
	case x < 43:
		p.cur += 2
	}
	epoch := p.epoch
	if p.rng.IntN(40) == 0 {
		epoch += uint64(p.rng.IntN(2))*2 - 1 // the epoch before or after
	}
	r := uint64(max(1, int64(p.cur)+int64(p.rng.IntN(4))-2)) // around the current round
	qcRound := p.below(r, r-min(r, 3))
	if p.rng.IntN(4) == 0 {
		qcRound = p.below(r, 0) // far behind: only a TC can justify it
	}
	tc := p.maybeTC(epoch, r, qcRound)
	var parentQCRound uint64 // the round of the QC inside the block b.QC certifies
	if qcRound > 0 {
		parentQCRound = p.below(qcRound, 0)
	}
	b := blockIn(epoch, r, qcRound, uint32(p.rng.IntN(3))) // three conflicting blocks per (round, qc)

	// A failing write models a crash in the middle of Store.
	failing := p.rng.IntN(20) == 0
	if failing {
		p.store.fail = errDiskFull
	}
	defer func() { p.store.fail = nil }()
	var err error
	var fresh bool
	switch x := p.rng.IntN(10); {
	case x < 5:
		var v *types.Vote
		v, err = p.rules.Vote(b, parentQCRound, tc)
		if err == nil {
			fresh = p.recordVote(b, parentQCRound, v)
		}
	case x < 8:
		var t *types.Timeout
		t, err = p.rules.Timeout(epoch, r, qcIn(epoch, qcRound), tc)
		if err == nil {
			fresh = p.recordTimeout(epoch, r, t)
		}
	default:
		var sig []byte
		sig, err = p.rules.SignProposal(b)
		if err == nil {
			fresh = p.recordProposal(b, sig)
		}
	}
	switch {
	case err == nil && !fresh:
		p.stats.replays++
	case errors.Is(err, safety.ErrUnsafe):
		p.stats.refused++
	case errors.Is(err, errDiskFull):
		p.stats.failed++
	case err != nil:
		p.t.Fatalf("unexpected error %v", err)
	}
	if failing && fresh {
		p.t.Fatalf("signed a new message while its data could not be stored")
	}
}

// recordVote checks v against everything signed before and records it; it
// reports whether v is new rather than a repeat.
func (p *property) recordVote(b *types.Block, parentQCRound uint64, v *types.Vote) bool {
	t := p.t
	if !p.scheme.Verify(p.signer.PublicKey(), types.VoteSigningBytes(chainID, b.Epoch, b.Round, b.ID()), v.Sig) ||
		v.Epoch != b.Epoch || v.Round != b.Round || v.BlockID != b.ID() {
		t.Fatalf("vote %+v is not a valid vote for the requested block", v)
	}
	k := key{b.Epoch, b.Round}
	if prev, ok := p.votes[k]; ok {
		if prev != v.BlockID {
			t.Fatalf("equivocation: votes for %s and %s in round %+v", prev.Short(), v.BlockID.Short(), k)
		}
		return false
	}
	if _, ok := p.timeouts[k]; ok {
		t.Fatalf("vote in round %+v after timing it out", k)
	}
	if b.Round <= p.voted[b.Epoch] {
		t.Fatalf("vote in round %+v after signing in round %d", k, p.voted[b.Epoch])
	}
	if b.QC.Round < p.locked[b.Epoch] {
		t.Fatalf("vote in round %+v over qc round %d below the lock %d", k, b.QC.Round, p.locked[b.Epoch])
	}
	p.votes[k] = v.BlockID
	p.voted[b.Epoch] = b.Round
	p.locked[b.Epoch] = max(p.locked[b.Epoch], parentQCRound)
	p.oneChain[b.Epoch] = max(p.oneChain[b.Epoch], b.QC.Round)
	p.stats.votes++
	return true
}

func (p *property) recordTimeout(epoch, r uint64, tmo *types.Timeout) bool {
	t := p.t
	if !p.scheme.Verify(p.signer.PublicKey(), types.TimeoutSigningBytes(chainID, epoch, r, tmo.HighQC.Round), tmo.Sig) ||
		tmo.Epoch != epoch || tmo.Round != r {
		t.Fatalf("timeout %+v is not a valid timeout for round %d", tmo, r)
	}
	k := key{epoch, r}
	if prev, ok := p.timeouts[k]; ok {
		if prev != tmo.HighQC.Round {
			t.Fatalf("equivocation: timeouts with qc rounds %d and %d in round %+v", prev, tmo.HighQC.Round, k)
		}
		return false
	}
	if r < p.voted[epoch] {
		t.Fatalf("timeout in round %+v after signing in round %d", k, p.voted[epoch])
	}
	if tmo.HighQC.Round < p.oneChain[epoch] {
		t.Fatalf("timeout in round %+v with qc round %d below %d already signed over", k, tmo.HighQC.Round, p.oneChain[epoch])
	}
	p.timeouts[k] = tmo.HighQC.Round
	p.voted[epoch] = r
	p.oneChain[epoch] = max(p.oneChain[epoch], tmo.HighQC.Round)
	p.stats.timeouts++
	return true
}

func (p *property) recordProposal(b *types.Block, sig []byte) bool {
	if !p.scheme.Verify(p.signer.PublicKey(), types.ProposalSigningBytes(chainID, b.Epoch, b.Round, b.ID()), sig) {
		p.t.Fatalf("proposal signature does not verify")
	}
	k := key{b.Epoch, b.Round}
	if p.proposals[k] {
		p.t.Fatalf("equivocation: two proposals in round %+v", k)
	}
	if b.Round <= p.voted[b.Epoch] {
		p.t.Fatalf("proposal in round %+v after signing in round %d", k, p.voted[b.Epoch])
	}
	p.proposals[k] = true
	p.stats.proposals++
	return true
}
