package types_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/crypto/simsig"
	"github.com/lazchain/lazchain/internal/types"
)

// certFixture is a 4-validator set with stakes 1,1,1,2 (total 5, quorum 4)
// on the simulator's signature scheme, with every signing key.
type certFixture struct {
	vs   *types.ValidatorSet
	keys []*simsig.Key
}

func newCertFixture(t *testing.T, epoch uint64) *certFixture {
	t.Helper()
	reg := simsig.NewRegistry()
	f := &certFixture{}
	var vals []types.Validator
	for i, stake := range []uint64{1, 1, 1, 2} {
		k := simsig.NewKey(reg, []byte(fmt.Sprintf("validator-%d", i)))
		f.keys = append(f.keys, k)
		vals = append(vals, types.Validator{PubKey: k.PublicKey(), Stake: stake})
	}
	vs, err := types.NewValidatorSet(testChain, epoch, reg.Scheme(), vals)
	if err != nil {
		t.Fatal(err)
	}
	f.vs = vs
	return f
}

func (f *certFixture) bitmap(idx ...int) types.Bitmap {
	b := types.NewBitmap(f.vs.Len())
	for _, i := range idx {
		b.Set(i)
	}
	return b
}

// aggregate signs msgs[j] with the key of signers[j] and aggregates.
func (f *certFixture) aggregate(t *testing.T, signers []int, msg func(j int) []byte) []byte {
	t.Helper()
	var sigs [][]byte
	for j, i := range signers {
		sigs = append(sigs, f.keys[i].Sign(msg(j)))
	}
	sig, err := f.vs.Scheme.Aggregate(sigs)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// qc returns a correctly signed QC by signers for block in round.
func (f *certFixture) qc(t *testing.T, round uint64, block types.Hash, signers ...int) *types.QC {
	msg := types.VoteSigningBytes(testChain, f.vs.Epoch, round, block)
	return &types.QC{
		Epoch: f.vs.Epoch, Round: round, BlockID: block, Signers: f.bitmap(signers...),
		Sig: f.aggregate(t, signers, func(int) []byte { return msg }),
	}
}

// tc returns a correctly signed TC for round where signers[j] reports hqc[j].
func (f *certFixture) tc(t *testing.T, round uint64, signers []int, hqc []uint64) *types.TC {
	return &types.TC{
		Epoch: f.vs.Epoch, Round: round, Signers: f.bitmap(signers...), HQCRounds: hqc,
		Sig: f.aggregate(t, signers, func(j int) []byte {
			return types.TimeoutSigningBytes(testChain, f.vs.Epoch, round, hqc[j])
		}),
	}
}

func TestQCVerify(t *testing.T) {
	f := newCertFixture(t, 2)
	genesis := types.GenesisBlock(testChain, 2).ID()
	block := newGen(4).hash()
	other := newGen(5).hash()
	otherEpoch := newCertFixture(t, 3)

	cases := []struct {
		name string
		qc   func() *types.QC
		want error
	}{
		{"quorum 0,1,3", func() *types.QC { return f.qc(t, 5, block, 0, 1, 3) }, nil},
		{"everyone", func() *types.QC { return f.qc(t, 5, block, 0, 1, 2, 3) }, nil},
		{"genesis", func() *types.QC { return types.GenesisQC(2, genesis) }, nil},
		{"stake 3 of 5", func() *types.QC { return f.qc(t, 5, block, 0, 1, 2) }, types.ErrNoQuorum},
		{"nobody", func() *types.QC { q := f.qc(t, 5, block, 3); q.Signers = f.bitmap(); return q }, types.ErrNoQuorum},
		{"signer dropped from bitmap", func() *types.QC {
			q := f.qc(t, 5, block, 0, 1, 2, 3)
			q.Signers = f.bitmap(0, 1, 3)
			return q
		}, types.ErrBadSignature},
		{"signer added to bitmap", func() *types.QC {
			q := f.qc(t, 5, block, 1, 3)
			q.Signers = f.bitmap(0, 1, 3)
			return q
		}, types.ErrBadSignature},
		{"other block", func() *types.QC { q := f.qc(t, 5, block, 0, 1, 3); q.BlockID = other; return q }, types.ErrBadSignature},
		{"other round", func() *types.QC { q := f.qc(t, 5, block, 0, 1, 3); q.Round = 6; return q }, types.ErrBadSignature},
		{"flipped sig byte", func() *types.QC { q := f.qc(t, 5, block, 0, 1, 3); q.Sig[0] ^= 1; return q }, types.ErrBadSignature},
		{"empty sig", func() *types.QC { q := f.qc(t, 5, block, 0, 1, 3); q.Sig = nil; return q }, types.ErrBadSignature},
		{"wrong epoch", func() *types.QC { return otherEpoch.qc(t, 5, block, 0, 1, 3) }, types.ErrWrongEpoch},
		{"genesis of another epoch", func() *types.QC { return types.GenesisQC(3, genesis) }, types.ErrWrongEpoch},
		{"genesis for another block", func() *types.QC { return types.GenesisQC(2, other) }, types.ErrBadSignature},
		{"signed round 0", func() *types.QC { return f.qc(t, 0, genesis, 0, 1, 3) }, types.ErrBadSignature},
		{"round 0 with signers only", func() *types.QC {
			q := types.GenesisQC(2, genesis)
			q.Signers = f.bitmap(0)
			return q
		}, types.ErrBadSignature},
		{"bitmap too long", func() *types.QC {
			q := f.qc(t, 5, block, 0, 1, 3)
			q.Signers = append(q.Signers, 0)
			return q
		}, codec.ErrInvalid},
		{"stray bitmap bit", func() *types.QC {
			q := f.qc(t, 5, block, 0, 1, 3)
			q.Signers[0] |= 1 << 6
			return q
		}, codec.ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := c.qc()
			err := q.Verify(f.vs, genesis)
			if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}

	// A QC survives encoding inside a block and still verifies.
	q := f.qc(t, 5, block, 0, 1, 3)
	b, err := types.DecodeBlock(types.NewBlock(2, 6, 3, q, 1, nil).Encode())
	if err != nil || b.QC.Verify(f.vs, genesis) != nil {
		t.Fatalf("decoded qc does not verify: %v", err)
	}
	// The same signatures do not verify for another chain.
	vs2, err := types.NewValidatorSet("other-chain", 2, f.vs.Scheme, f.vs.Validators)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Verify(vs2, genesis); !errors.Is(err, types.ErrBadSignature) {
		t.Fatalf("qc verifies on another chain: %v", err)
	}
}

func TestTCVerify(t *testing.T) {
	f := newCertFixture(t, 2)
	const round = 9
	cases := []struct {
		name string
		tc   func() *types.TC
		want error
	}{
		{"one hqc round", func() *types.TC { return f.tc(t, round, []int{0, 1, 3}, []uint64{4, 4, 4}) }, nil},
		{"two hqc rounds", func() *types.TC { return f.tc(t, round, []int{0, 1, 3}, []uint64{7, 3, 7}) }, nil},
		{"every signer differs", func() *types.TC { return f.tc(t, round, []int{0, 1, 2, 3}, []uint64{0, 8, 2, 5}) }, nil},
		{"hqc round == round", func() *types.TC { return f.tc(t, round, []int{0, 1, 3}, []uint64{7, round, 7}) }, codec.ErrInvalid},
		{"hqc round > round", func() *types.TC { return f.tc(t, round, []int{0, 1, 3}, []uint64{7, 3, 100}) }, codec.ErrInvalid},
		{"fewer hqc rounds than signers", func() *types.TC {
			c := f.tc(t, round, []int{0, 1, 3}, []uint64{7, 3, 7})
			c.HQCRounds = c.HQCRounds[:2]
			return c
		}, codec.ErrInvalid},
		{"more hqc rounds than signers", func() *types.TC {
			c := f.tc(t, round, []int{0, 1, 3}, []uint64{7, 3, 7})
			c.HQCRounds = append(c.HQCRounds, 3)
			return c
		}, codec.ErrInvalid},
		{"claimed hqc round altered", func() *types.TC {
			c := f.tc(t, round, []int{0, 1, 3}, []uint64{7, 3, 7})
			c.HQCRounds[1] = 5
			return c
		}, types.ErrBadSignature},
		{"hqc rounds swapped", func() *types.TC {
			c := f.tc(t, round, []int{0, 1, 3}, []uint64{7, 3, 7})
			c.HQCRounds[0], c.HQCRounds[1] = c.HQCRounds[1], c.HQCRounds[0]
			return c
		}, types.ErrBadSignature},
		{"other round", func() *types.TC {
			c := f.tc(t, round, []int{0, 1, 3}, []uint64{7, 3, 7})
			c.Round++
			return c
		}, types.ErrBadSignature},
		{"flipped sig byte", func() *types.TC {
			c := f.tc(t, round, []int{0, 1, 3}, []uint64{7, 3, 7})
			c.Sig[3] ^= 0x80
			return c
		}, types.ErrBadSignature},
		{"stake 3 of 5", func() *types.TC { return f.tc(t, round, []int{0, 1, 2}, []uint64{1, 2, 3}) }, types.ErrNoQuorum},
		{"stray bitmap bit", func() *types.TC {
			c := f.tc(t, round, []int{0, 1, 3}, []uint64{7, 3, 7})
			c.Signers[0] |= 1 << 7
			return c
		}, codec.ErrInvalid},
		{"wrong epoch", func() *types.TC {
			c := f.tc(t, round, []int{0, 1, 3}, []uint64{7, 3, 7})
			c.Epoch = 1
			return c
		}, types.ErrWrongEpoch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.tc().Verify(f.vs)
			if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}

	// A TC survives encoding in a timeout message and still verifies.
	tc := f.tc(t, round, []int{0, 1, 3}, []uint64{7, 3, 7})
	if tc.MaxHQCRound() != 7 || (&types.TC{}).MaxHQCRound() != 0 {
		t.Fatalf("MaxHQCRound %d, want 7", tc.MaxHQCRound())
	}
	m, err := types.DecodeMessage(types.EncodeMessage(&types.Timeout{
		Epoch: 2, Round: round + 1, HighQC: f.qc(t, 7, newGen(1).hash(), 0, 1, 3), LastTC: tc, Voter: 3,
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.(*types.Timeout).LastTC.Verify(f.vs); err != nil {
		t.Fatalf("decoded tc does not verify: %v", err)
	}
}

func TestValidatorSetVerifySig(t *testing.T) {
	f := newCertFixture(t, 1)
	msg := types.VoteSigningBytes(testChain, 1, 4, newGen(2).hash())
	sig := f.keys[2].Sign(msg)
	if err := f.vs.VerifySig(2, msg, sig); err != nil {
		t.Fatal(err)
	}
	if err := f.vs.VerifySig(1, msg, sig); !errors.Is(err, types.ErrBadSignature) {
		t.Fatalf("signature verifies for another validator: %v", err)
	}
	if err := f.vs.VerifySig(2, append(msg, 0), sig); !errors.Is(err, types.ErrBadSignature) {
		t.Fatalf("signature verifies for another message: %v", err)
	}
	if err := f.vs.VerifySig(4, msg, sig); !errors.Is(err, types.ErrUnknownIndex) {
		t.Fatalf("index 4: %v", err)
	}
	if f.vs.IndexOf(f.keys[3].PublicKey().Bytes()) != 3 {
		t.Fatal("IndexOf a real key")
	}
}
