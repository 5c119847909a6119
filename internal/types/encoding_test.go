package types_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/types"
)

func TestMessageRoundTrip(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		for _, c := range sampleMessages(seed) {
			t.Run(c.name, func(t *testing.T) {
				enc := EncodeMessageChecked(t, c.msg)
				got, err := types.DecodeMessage(enc)
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				if got.Kind() != c.msg.Kind() {
					t.Fatalf("kind %v, want %v", got.Kind(), c.msg.Kind())
				}
				if again := types.EncodeMessage(got); !bytes.Equal(again, enc) {
					t.Fatalf("re-encoding differs:\n%x\n%x", enc, again)
				}
				// Decoded blocks re-encode from the bytes they came in;
				// their fields must give the same.
				normalize(reflect.ValueOf(got))
				if fresh := types.EncodeMessage(got); !bytes.Equal(fresh, enc) {
					t.Fatalf("encoding the decoded fields differs:\n%x\n%x", enc, fresh)
				}
				for i, id := range blockIDs(c.msg) {
					if gid := blockIDs(got)[i]; gid != id {
						t.Fatalf("block %d id %s, decoded %s", i, id.Short(), gid.Short())
					}
				}
				assertEqual(t, c.msg, got)
			})
		}
	}
}

// EncodeMessageChecked encodes m and checks the version and kind prefix.
func EncodeMessageChecked(t *testing.T, m types.Message) []byte {
	t.Helper()
	enc := types.EncodeMessage(m)
	if len(enc) < 2 || enc[0] != types.Version || types.Kind(enc[1]) != m.Kind() {
		t.Fatalf("bad prefix % x for %v", enc[:min(2, len(enc))], m.Kind())
	}
	return enc
}

func blockIDs(m types.Message) []types.Hash {
	switch m := m.(type) {
	case *types.Proposal:
		return []types.Hash{m.Block.ID()}
	case *types.BlockResponse:
		var ids []types.Hash
		for _, b := range m.Blocks {
			ids = append(ids, b.ID())
		}
		return ids
	}
	return nil
}

func TestBlockRoundTrip(t *testing.T) {
	for i, b := range sampleBlocks(7) {
		enc := b.Encode()
		got, err := types.DecodeBlock(enc)
		if err != nil {
			t.Fatalf("block %d: %v", i, err)
		}
		if got.ID() != b.ID() || got.ID().IsZero() {
			t.Fatalf("block %d: id %s, decoded %s", i, b.ID().Short(), got.ID().Short())
		}
		if got.PayloadHash() != b.PayloadHash() {
			t.Fatalf("block %d: payload hash changed", i)
		}
		if again := got.Encode(); !bytes.Equal(again, enc) {
			t.Fatalf("block %d: re-encoding differs", i)
		}
		assertEqual(t, b, got)
	}
}

func TestBlockIDCommitsToContent(t *testing.T) {
	g := newGen(11)
	b := g.block(2, 3)
	ids := map[types.Hash]string{b.ID(): "original"}
	variants := map[string]*types.Block{
		"proposer": types.NewBlock(b.Epoch, b.Round, b.Height, b.QC, b.Proposer+1, b.Txs),
		"height":   types.NewBlock(b.Epoch, b.Round, b.Height+1, b.QC, b.Proposer, b.Txs),
		"tx order": types.NewBlock(b.Epoch, b.Round, b.Height, b.QC, b.Proposer, []*types.Tx{b.Txs[1], b.Txs[0], b.Txs[2]}),
		"tx gone":  types.NewBlock(b.Epoch, b.Round, b.Height, b.QC, b.Proposer, b.Txs[:2]),
	}
	for name, v := range variants {
		if prev, dup := ids[v.ID()]; dup {
			t.Fatalf("%s has the same id as %s", name, prev)
		}
		ids[v.ID()] = name
	}
	if types.GenesisBlock(testChain, 1).ID() == types.GenesisBlock(testChain, 2).ID() ||
		types.GenesisBlock(testChain, 1).ID() == types.GenesisBlock("other", 1).ID() {
		t.Fatal("genesis id ignores epoch or chain id")
	}
	if types.GenesisBlock(testChain, 1).ID() != types.GenesisBlock(testChain, 1).ID() {
		t.Fatal("genesis id is not deterministic")
	}
}

func TestTxRoundTrip(t *testing.T) {
	g := newGen(5)
	txs := append(g.txs(4), &types.Tx{ChainID: "", Sender: make([]byte, 32), Sig: make([]byte, 64)})
	for i, tx := range txs {
		enc := tx.Encode()
		got, err := types.DecodeTx(enc)
		if err != nil {
			t.Fatalf("tx %d: %v", i, err)
		}
		if !bytes.Equal(got.Encode(), enc) || got.Hash() != tx.Hash() {
			t.Fatalf("tx %d: re-encoding or hash differs", i)
		}
		assertEqual(t, tx, got)
	}
}

// decoder runs one of the package's decoders and returns its error.
type decoder func([]byte) error

func decMsg(b []byte) error   { _, err := types.DecodeMessage(b); return err }
func decBlock(b []byte) error { _, err := types.DecodeBlock(b); return err }
func decTx(b []byte) error    { _, err := types.DecodeTx(b); return err }

func with(b []byte, f func(b []byte) []byte) []byte { return f(bytes.Clone(b)) }

func TestRejections(t *testing.T) {
	g := newGen(42)
	vote := types.EncodeMessage(g.vote())
	prop := g.proposal(true)
	propEnc := types.EncodeMessage(prop)
	blk := g.block(3, 0)
	blkEnc := blk.Encode()
	txEnc := g.tx().Encode()
	qcOff := 1 + 3*8 + 32 // version, epoch/round/height, parent
	parent := g.hash()
	badBlock := func(mut func(b *types.Block)) []byte {
		b := &types.Block{Epoch: 3, Round: 10, Height: 4, Parent: parent, QC: g.qc(3, 9, parent)}
		mut(b)
		return b.Encode()
	}
	u32 := func(b []byte, off int, v uint32) []byte { binary.BigEndian.PutUint32(b[off:], v); return b }

	cases := []struct {
		name string
		dec  decoder
		in   []byte
		want error
	}{
		{"empty message", decMsg, nil, codec.ErrShort},
		{"version 0", decMsg, with(vote, func(b []byte) []byte { b[0] = 0; return b }), codec.ErrVersion},
		{"version 2", decMsg, with(vote, func(b []byte) []byte { b[0] = 2; return b }), codec.ErrVersion},
		{"version only", decMsg, []byte{2}, codec.ErrVersion},
		{"block version", decBlock, with(blkEnc, func(b []byte) []byte { b[0] = 9; return b }), codec.ErrVersion},
		{"tx version", decTx, with(txEnc, func(b []byte) []byte { b[0] = 0; return b }), codec.ErrVersion},
		{"kind 0", decMsg, with(vote, func(b []byte) []byte { b[1] = 0; return b }), codec.ErrInvalid},
		{"kind 10", decMsg, with(vote, func(b []byte) []byte { b[1] = 10; return b }), codec.ErrInvalid},
		{"kind 255 no body", decMsg, []byte{types.Version, 255}, codec.ErrInvalid},
		{"message trailing byte", decMsg, append(bytes.Clone(propEnc), 0), codec.ErrTrailing},
		{"vote trailing byte", decMsg, append(bytes.Clone(vote), 1), codec.ErrTrailing},
		{"block trailing byte", decBlock, append(bytes.Clone(blkEnc), 0), codec.ErrTrailing},
		{"tx trailing byte", decTx, append(bytes.Clone(txEnc), 0), codec.ErrTrailing},
		{"signature one byte over", decMsg, types.EncodeMessage(&types.Vote{Sig: make([]byte, types.MaxSignatureSize+1)}), codec.ErrTooLong},
		{"signature length 2^32-1", decMsg, with(vote, func(b []byte) []byte { return u32(b, len(b)-4-types.MaxSignatureSize, 1<<32-1) }), codec.ErrTooLong},
		{"proposal sig over limit", decMsg, types.EncodeMessage(&types.Proposal{Block: blk, Sig: make([]byte, 200)}), codec.ErrTooLong},
		{"qc signers over limit", decBlock, badBlock(func(b *types.Block) { b.QC.Signers = make(types.Bitmap, 129) }), codec.ErrTooLong},
		{"tx count 2^32-1", decBlock, with(blkEnc, func(b []byte) []byte { return u32(b, len(b)-4, 1<<32-1) }), codec.ErrTooLong},
		{"tx count 2^32-1 in message", decMsg, with(types.EncodeMessage(&types.Proposal{Block: blk}), func(b []byte) []byte {
			return u32(b, len(b)-9, 1<<32-1)
		}), codec.ErrTooLong},
		{"tx count in limit, tiny input", decBlock, with(blkEnc, func(b []byte) []byte { return u32(b, len(b)-4, 20000) }), codec.ErrShort},
		{"response count 2^32-1", decMsg, []byte{types.Version, byte(types.KindBlockResponse), 0xff, 0xff, 0xff, 0xff}, codec.ErrTooLong},
		{"response count 64, tiny input", decMsg, []byte{types.Version, byte(types.KindBlockResponse), 0, 0, 0, 64, 0}, codec.ErrShort},
		{"hqc count over limit", decMsg, types.EncodeMessage(&types.Timeout{HighQC: &types.QC{}, LastTC: &types.TC{HQCRounds: make([]uint64, 1025)}}), codec.ErrTooLong},
		{"hqc count 2^32-1", decMsg, with(types.EncodeMessage(&types.Timeout{HighQC: &types.QC{}, LastTC: &types.TC{}}), func(b []byte) []byte {
			return u32(b, len(b)-16, 1<<32-1) // count, sig length, voter, timeout sig length
		}), codec.ErrTooLong},
		{"chain id over limit", decTx, (&types.Tx{ChainID: string(make([]byte, 65)), Sender: make([]byte, 32), Sig: make([]byte, 64)}).Encode(), codec.ErrTooLong},
		{"qc presence byte 2", decBlock, with(blkEnc, func(b []byte) []byte { b[qcOff] = 2; return b }), codec.ErrInvalid},
		{"qc presence byte 2 in message", decMsg, with(propEnc, func(b []byte) []byte { b[qcOff+1] = 2; return b }), codec.ErrInvalid},
		{"tc presence byte 2", decMsg, with(propEnc, func(b []byte) []byte { b[1+len(prop.Block.Encode())] = 2; return b }), codec.ErrInvalid},
		{"qc names another block", decBlock, badBlock(func(b *types.Block) { b.QC.BlockID[0] ^= 1 }), codec.ErrInvalid},
		{"qc round == block round", decBlock, badBlock(func(b *types.Block) { b.QC.Round = b.Round }), codec.ErrInvalid},
		{"qc round > block round", decBlock, badBlock(func(b *types.Block) { b.QC.Round = b.Round + 1 }), codec.ErrInvalid},
		{"qc of another epoch", decBlock, badBlock(func(b *types.Block) { b.QC.Epoch++ }), codec.ErrInvalid},
		{"height 0 with qc", decBlock, badBlock(func(b *types.Block) { b.Height = 0 }), codec.ErrInvalid},
		{"no qc past round 0", decBlock, badBlock(func(b *types.Block) { b.QC = nil }), codec.ErrInvalid},
		{"no qc past height 0", decBlock, badBlock(func(b *types.Block) { b.QC, b.Round = nil, 0 }), codec.ErrInvalid},
		{"bad block in response", decMsg, types.EncodeMessage(&types.BlockResponse{Blocks: []*types.Block{blk, {Round: 1}}}), codec.ErrInvalid},
		{"oversized message", decMsg, make([]byte, types.MaxMessageBytes+1), codec.ErrTooLong},
		{"oversized block", decBlock, make([]byte, types.MaxBlockBytes+1), codec.ErrTooLong},
		{"oversized tx", decTx, make([]byte, types.MaxTxBytes+1), codec.ErrTooLong},
		{"tx body too big for a tx", decBlock, types.NewBlock(3, 10, 4, g.qc(3, 9, parent), 0, []*types.Tx{
			{Sender: make([]byte, 32), Body: make([]byte, types.MaxTxBytes), Sig: make([]byte, 64)}}).Encode(), codec.ErrTooLong},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.dec(c.in); !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}
}

// TestTruncation cuts valid encodings at every length: each prefix must be
// rejected as short, and none may panic.
func TestTruncation(t *testing.T) {
	check := func(name string, enc []byte, dec decoder) {
		for n := 0; n < len(enc); n++ {
			if err := dec(enc[:n]); !errors.Is(err, codec.ErrShort) {
				t.Fatalf("%s cut at %d of %d: err %v, want ErrShort", name, n, len(enc), err)
			}
		}
	}
	for _, c := range sampleMessages(9) {
		check(c.name, types.EncodeMessage(c.msg), decMsg)
	}
	for _, b := range sampleBlocks(9) {
		check("block", b.Encode(), decBlock)
	}
	check("tx", newGen(9).tx().Encode(), decTx)
}

func TestKindString(t *testing.T) {
	want := map[types.Kind]string{
		types.KindProposal: "proposal", types.KindVote: "vote", types.KindTimeout: "timeout",
		types.KindBlockRequest: "block-request", types.KindBlockResponse: "block-response", types.KindCertified: "certified", types.KindChainRequest: "chain-request", 10: "kind(10)",
	}
	for k, s := range want {
		if k.String() != s {
			t.Errorf("Kind(%d).String() = %q, want %q", k, k.String(), s)
		}
	}
}

func TestSigningBytesDomainSeparation(t *testing.T) {
	id := newGen(3).hash()
	all := [][]byte{
		types.VoteSigningBytes(testChain, 1, 2, id),
		types.ProposalSigningBytes(testChain, 1, 2, id),
		types.VoteSigningBytes("other", 1, 2, id),
		types.VoteSigningBytes(testChain, 2, 2, id),
		types.VoteSigningBytes(testChain, 1, 3, id),
		types.TimeoutSigningBytes(testChain, 1, 2, 1),
		types.TimeoutSigningBytes(testChain, 1, 2, 0),
	}
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			if bytes.Equal(all[i], all[j]) {
				t.Errorf("signing bytes %d and %d collide", i, j)
			}
		}
	}
}

// EncodedSize must agree with the encoding it stands in for.
func TestEncodedSizeMatchesEncode(t *testing.T) {
	g := newGen(11)
	for _, tx := range append(g.txs(8), &types.Tx{Sender: make([]byte, 32), Sig: make([]byte, 64)}) {
		if got, want := tx.EncodedSize(), len(tx.Encode()); got != want {
			t.Fatalf("EncodedSize %d, len(Encode()) %d", got, want)
		}
	}
}

// EncodedSize never underestimates: answers sized with it stay under the
// message limit.
func TestBlockEncodedSizeIsAnUpperBound(t *testing.T) {
	for i, b := range sampleBlocks(3) {
		if got, enc := b.EncodedSize(), len(b.Encode()); got < enc {
			t.Errorf("block %d: EncodedSize %d < encoding %d", i, got, enc)
		}
	}
}

// TestDecodedBlockEncodeIsACopy checks that a decoded block's Encode,
// which comes from the bytes it arrived in, hands out a copy: a caller
// that changes it cannot change the block.
func TestDecodedBlockEncodeIsACopy(t *testing.T) {
	for _, c := range sampleMessages(4) {
		p, ok := c.msg.(*types.Proposal)
		if !ok {
			continue
		}
		want := p.Block.Encode()
		b, err := types.DecodeBlock(bytes.Clone(want))
		if err != nil {
			t.Fatalf("%s: decode: %v", c.name, err)
		}
		first := b.Encode()
		clear(first)
		if got := b.Encode(); !bytes.Equal(got, want) {
			t.Fatalf("%s: encoding changed after a caller cleared an earlier one", c.name)
		}
		if b.ID() != p.Block.ID() {
			t.Fatalf("%s: id %s, want %s", c.name, b.ID().Short(), p.Block.ID().Short())
		}
	}
}
