package types_test

import (
	"crypto/ed25519"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

const testChain = "lazchain-test"

// gen builds deterministic random values from a fixed PCG seed.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) gen { return gen{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

func (g gen) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
	return b
}

func (g gen) hash() types.Hash {
	var h types.Hash
	copy(h[:], g.bytes(32))
	return h
}

// bitmap marks a random non-empty subset of n validators.
func (g gen) bitmap(n int) types.Bitmap {
	b := types.NewBitmap(n)
	b.Set(g.r.IntN(n))
	for i := 0; i < n; i++ {
		if g.r.IntN(2) == 0 {
			b.Set(i)
		}
	}
	return b
}

func (g gen) tx() *types.Tx {
	key := ed25519.NewKeyFromSeed(g.bytes(ed25519.SeedSize))
	tx := &types.Tx{
		ChainID: testChain,
		Nonce:   g.r.Uint64(),
		Kind:    uint16(g.r.UintN(1 << 16)),
		Body:    g.bytes(g.r.IntN(80)),
	}
	tx.Sign(key)
	return tx
}

func (g gen) txs(n int) []*types.Tx {
	out := make([]*types.Tx, n)
	for i := range out {
		out[i] = g.tx()
	}
	return out
}

func (g gen) qc(epoch, round uint64, id types.Hash) *types.QC {
	if round == 0 {
		return types.GenesisQC(epoch, id)
	}
	return &types.QC{Epoch: epoch, Round: round, BlockID: id, Signers: g.bitmap(10), Sig: g.bytes(types.MaxSignatureSize)}
}

// tc builds a timeout certificate for round >= 1 with one high-QC round per
// marked signer, each below round.
func (g gen) tc(epoch, round uint64) *types.TC {
	signers := g.bitmap(10)
	hqc := make([]uint64, signers.Count())
	for i := range hqc {
		hqc[i] = g.r.Uint64N(round)
	}
	return &types.TC{Epoch: epoch, Round: round, Signers: signers, HQCRounds: hqc, Sig: g.bytes(types.MaxSignatureSize)}
}

// block builds a well-shaped non-genesis block with ntx transactions.
func (g gen) block(epoch uint64, ntx int) *types.Block {
	round := 2 + g.r.Uint64N(1000)
	qcRound := round - 1 - g.r.Uint64N(2)
	height := 1 + g.r.Uint64N(round)
	return types.NewBlock(epoch, round, height, g.qc(epoch, qcRound, g.hash()), g.r.Uint32(), g.txs(ntx))
}

func (g gen) proposal(withTC bool) *types.Proposal {
	b := g.block(3, 2)
	p := &types.Proposal{Block: b, Sig: g.bytes(types.MaxSignatureSize)}
	if withTC {
		p.TC = g.tc(b.Epoch, b.Round-1)
	}
	return p
}

func (g gen) vote() *types.Vote {
	return &types.Vote{Epoch: g.r.Uint64(), Round: g.r.Uint64(), BlockID: g.hash(), Voter: g.r.Uint32(), Sig: g.bytes(types.MaxSignatureSize)}
}

func (g gen) timeout(withTC bool) *types.Timeout {
	round := 5 + g.r.Uint64N(100)
	t := &types.Timeout{Epoch: 7, Round: round, HighQC: g.qc(7, round-2, g.hash()), Voter: g.r.Uint32(), Sig: g.bytes(types.MaxSignatureSize)}
	if withTC {
		t.LastTC = g.tc(7, round-1)
	}
	return t
}

func (g gen) response(n int) *types.BlockResponse {
	s := &types.BlockResponse{}
	for i := 0; i < n; i++ {
		s.Blocks = append(s.Blocks, g.block(1, i))
	}
	return s
}

type namedMsg struct {
	name string
	msg  types.Message
}

// sampleMessages returns one valid message of every kind and shape.
func sampleMessages(seed uint64) []namedMsg {
	g := newGen(seed)
	genesis := types.GenesisBlock(testChain, 4)
	return []namedMsg{
		{"proposal", g.proposal(false)},
		{"proposal with tc", g.proposal(true)},
		{"proposal of genesis-child", &types.Proposal{
			Block: types.NewBlock(4, 1, 1, types.GenesisQC(4, genesis.ID()), 2, nil), Sig: g.bytes(types.MaxSignatureSize)}},
		{"vote", g.vote()},
		{"vote empty sig", &types.Vote{Epoch: 1, Round: 2, BlockID: g.hash()}},
		{"timeout", g.timeout(false)},
		{"timeout with last tc", g.timeout(true)},
		{"timeout genesis hqc", &types.Timeout{Epoch: 4, Round: 1, HighQC: types.GenesisQC(4, genesis.ID()), Sig: g.bytes(types.MaxSignatureSize)}},
		{"block request", &types.BlockRequest{ID: g.hash(), Count: 17}},
		{"chain request", &types.ChainRequest{From: 1 << 40, Count: 64}},
		{"block response 0", g.response(0)},
		{"block response 1", g.response(1)},
		{"block response 3", g.response(3)},
		{"block response genesis", &types.BlockResponse{Blocks: []*types.Block{genesis}}},
		{"epoch request", &types.EpochRequest{Epoch: 7}},
		{"epoch proof", &types.EpochProof{QC: g.qc(5, 9, g.hash())}},
		{"certified", &types.Certified{QC: g.qc(5, 9, g.hash())}},
		{"first block after an epoch root", &types.Proposal{
			Block: types.NewBlock(5, 1, 101, types.GenesisQC(5, types.EpochRoot(testChain, 5, g.hash(), 100).ID()), 1, g.txs(2)), Sig: g.bytes(types.MaxSignatureSize)}},
	}
}

// sampleBlocks returns valid blocks of several shapes.
func sampleBlocks(seed uint64) []*types.Block {
	g := newGen(seed)
	genesis := types.GenesisBlock(testChain, 0)
	return []*types.Block{
		genesis,
		types.NewBlock(0, 1, 1, types.GenesisQC(0, genesis.ID()), 0, nil),
		g.block(9, 0),
		g.block(9, 1),
		g.block(9, 5),
	}
}

// normalize turns every empty slice reachable through exported fields into
// nil (the decoder yields empty slices where constructors leave nil, and
// both have the same encoding) and seals every transaction.
func normalize(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if tx, ok := v.Interface().(*types.Tx); ok && tx != nil {
			tx.Seal() // decoded txs carry their cached id; built ones get it here
		}
		if b, ok := v.Interface().(*types.Block); ok && b != nil {
			types.ForgetEncoding(b) // decoded blocks keep their encoding; built ones have none
		}
		if !v.IsNil() {
			normalize(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.CanSet() {
				normalize(f)
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			if v.CanSet() {
				v.Set(reflect.Zero(v.Type()))
			}
			return
		}
		for i := 0; i < v.Len(); i++ {
			normalize(v.Index(i))
		}
	}
}

// assertEqual compares want and got up to nil-versus-empty slices. It also
// compares unexported fields such as a block's cached id.
func assertEqual(t *testing.T, want, got any) {
	t.Helper()
	normalize(reflect.ValueOf(want))
	normalize(reflect.ValueOf(got))
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("decoded value differs:\nwant %+v\ngot  %+v", want, got)
	}
}
