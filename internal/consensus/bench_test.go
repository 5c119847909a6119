package consensus_test

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/internal/consensus"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/safety"
	"github.com/lazchain/lazchain/internal/types"
)

var benchSizes = []int{4, 16, 64, 128}

// blsFixture is n equal-stake validators with real BLS keys, a block of
// round 1, and a quorum of signed votes for it addressed to the collector
// (the leader of round 2), which does not vote itself.
type blsFixture struct {
	set       *types.ValidatorSet
	keys      []*bls.SecretKey
	genesis   *types.Block
	collector int
	votes     []*types.Vote
}

func newBLSFixture(b *testing.B, n int) *blsFixture {
	b.Helper()
	f := &blsFixture{keys: make([]*bls.SecretKey, n), genesis: types.GenesisBlock(testChain, testEpoch)}
	vals := make([]types.Validator, n)
	for i := range f.keys {
		seed := make([]byte, bls.MinSeedSize)
		binary.BigEndian.PutUint64(seed, uint64(i)+1)
		k, err := bls.GenerateKey(seed)
		if err != nil {
			b.Fatal(err)
		}
		f.keys[i] = k
		vals[i] = types.Validator{PubKey: k.PublicKey(), Stake: 1}
	}
	set, err := types.NewValidatorSet(testChain, testEpoch, bls.Scheme{}, vals)
	if err != nil {
		b.Fatal(err)
	}
	f.set = set
	f.collector = set.Leader(2)
	blk := types.NewBlock(testEpoch, 1, 1, types.GenesisQC(testEpoch, f.genesis.ID()), uint32(set.Leader(1)), nil)
	msg := types.VoteSigningBytes(testChain, testEpoch, 1, blk.ID())
	for i := 0; i < n && uint64(len(f.votes)) < set.QuorumStake(); i++ {
		if i == f.collector {
			continue
		}
		f.votes = append(f.votes, &types.Vote{Epoch: testEpoch, Round: 1, BlockID: blk.ID(), Voter: uint32(i), Sig: f.keys[i].Sign(msg)})
	}
	return f
}

// freshCollector is the collector's core just started in round 1.
func (f *blsFixture) freshCollector(b *testing.B) *consensus.Core {
	rules, err := safety.New(testChain, f.keys[f.collector], &safety.MemStorage{})
	if err == nil {
		err = rules.StartEpoch(testEpoch, uint32(f.collector))
	}
	if err != nil {
		b.Fatal(err)
	}
	cfg := consensus.Config{Set: f.set, Self: f.collector, BaseTimeout: baseTicks, MaxTimeout: maxTicks}
	c, err := consensus.New(cfg, rules, consensus.Snapshot{Committed: f.genesis, HighQC: types.GenesisQC(testEpoch, f.genesis.ID())})
	if err != nil {
		b.Fatal(err)
	}
	c.Start()
	c.Ready()
	return c
}

// BenchmarkQCFormation times a collector receiving a quorum of votes and
// forming the QC: the votes are tallied unverified, aggregated, and checked
// with one aggregate verification (the optimistic path).
func BenchmarkQCFormation(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			f := newBLSFixture(b, n)
			votes := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				c := f.freshCollector(b)
				b.StartTimer()
				for _, v := range f.votes {
					c.Step(&consensus.Receive{From: int(v.Voter), Msg: v})
				}
				b.StopTimer()
				if c.HighQC().Round != 1 || c.Stats().Dropped[consensus.DropBadSignature] != 0 {
					b.Fatalf("no QC from %d votes: %s", len(f.votes), c.Describe())
				}
				votes += len(f.votes)
				b.StartTimer()
			}
			b.StopTimer()
			b.ReportMetric(float64(votes)/b.Elapsed().Seconds(), "votes/s")
		})
	}
}

// BenchmarkQCVerify times the check of a full-quorum QC, as a validator
// does for the QC in every proposal it has not seen before.
func BenchmarkQCVerify(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			f := newBLSFixture(b, n)
			c := f.freshCollector(b)
			for _, v := range f.votes {
				c.Step(&consensus.Receive{From: int(v.Voter), Msg: v})
			}
			qc := c.HighQC()
			if qc.Round != 1 || qc.Signers.Count() != len(f.votes) {
				b.Fatalf("fixture QC: round %d, %d signers", qc.Round, qc.Signers.Count())
			}
			for b.Loop() {
				if err := qc.Verify(f.set, f.genesis.ID()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
