package sim

import (
	"encoding/binary"
	"fmt"

	"github.com/lazchain/lazchain/internal/crypto"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/crypto/simsig"
	"github.com/lazchain/lazchain/internal/quorum"
	"github.com/lazchain/lazchain/internal/safety"
	"github.com/lazchain/lazchain/internal/types"
)

const chainID = "lazchain-sim"

func (s *simulation) setup() error {
	n := s.cfg.Validators
	if n < 1 || n > types.MaxValidators || s.cfg.Byzantine < 0 || s.cfg.Byzantine >= n {
		return fmt.Errorf("%d validators with %d Byzantine is not a valid setup", n, s.cfg.Byzantine)
	}
	keys, scheme, err := s.keys(n)
	if err != nil {
		return err
	}
	byz := s.pickByzantine(n)
	stakes := s.stakes(n, byz)
	vals := make([]types.Validator, n)
	for i := range vals {
		vals[i] = types.Validator{PubKey: keys[i].PublicKey(), Stake: stakes[i]}
	}
	if s.set, err = types.NewValidatorSet(chainID, 1, scheme, vals); err != nil {
		return err
	}
	s.genesis = types.GenesisBlock(chainID, 1)
	s.byIndex = make([][]*node, n)
	k := s.rng.IntN(len(s.cfg.Behaviours)) // rotate which kinds a small count gets
	for i := 0; i < n; i++ {
		b := honest
		if byz[i] {
			b = s.cfg.Behaviours[k%len(s.cfg.Behaviours)]
			k++
		}
		s.addNode(i, b, keys[i])
		if b == Twins {
			s.addNode(i, b, keys[i])
		}
	}
	for _, nd := range s.nodes {
		if err := s.boot(nd); err != nil {
			return err
		}
		s.flush(nd)
	}
	s.scheduleFaults()
	return nil
}

func (s *simulation) addNode(index int, b Behaviour, key crypto.Signer) {
	nd := &node{id: len(s.nodes), index: index, behaviour: b, key: key, disk: &disk{
		safety: &safety.MemStorage{}, seen: map[types.Hash]*types.Block{},
		highQC: types.GenesisQC(1, s.genesis.ID()), committed: s.genesis,
	}}
	s.nodes = append(s.nodes, nd)
	s.byIndex[index] = append(s.byIndex[index], nd)
}

func (s *simulation) keys(n int) ([]crypto.Signer, crypto.Scheme, error) {
	keys := make([]crypto.Signer, n)
	seed := make([]byte, 32)
	binary.BigEndian.PutUint64(seed, s.cfg.Seed)
	if !s.cfg.RealBLS {
		reg := simsig.NewRegistry()
		for i := range keys {
			binary.BigEndian.PutUint64(seed[8:], uint64(i))
			keys[i] = simsig.NewKey(reg, seed)
		}
		return keys, reg.Scheme(), nil
	}
	for i := range keys {
		binary.BigEndian.PutUint64(seed[8:], uint64(i))
		k, err := bls.GenerateKey(seed)
		if err != nil {
			return nil, nil, fmt.Errorf("bls key %d: %w", i, err)
		}
		keys[i] = k
	}
	return keys, bls.Scheme{}, nil
}

func (s *simulation) pickByzantine(n int) []bool {
	byz := make([]bool, n)
	for _, i := range s.rng.Perm(n)[:s.cfg.Byzantine] {
		byz[i] = true
	}
	return byz
}

// stakes draws unequal stakes, then shrinks Byzantine ones (or grows
// honest ones) until the Byzantine total is below a third.
func (s *simulation) stakes(n int, byz []bool) []uint64 {
	st := make([]uint64, n)
	for i := range st {
		st[i] = 1 + s.rng.Uint64N(100)
	}
	for {
		var total, bad uint64
		largest := -1
		for i, v := range st {
			total += v
			if byz[i] {
				bad += v
				if largest < 0 || v > st[largest] {
					largest = i
				}
			}
		}
		if bad <= quorum.MaxFaulty(total) && 3*bad < total {
			return st
		}
		if st[largest] > 1 {
			st[largest] /= 2
			continue
		}
		for i := range st {
			if !byz[i] {
				st[i] *= 2
			}
		}
	}
}
