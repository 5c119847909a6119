package types_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/types"
)

// epochFixture is the ending epoch's set on real BLS keys, stakes 4,3,2,1:
// total 10, quorum 7 (more than 2/3), so 4+3 is the smallest quorum and
// 3+2+1 = 6 is not one. Epoch certificates are checked by light clients
// against sets they learnt from earlier certificates, with no simulator in
// between, so these tests use the production scheme.
type epochFixture struct {
	vs   *types.ValidatorSet
	keys []*bls.SecretKey
}

// blsTestKey derives key i of family tag from a fixed seed.
func blsTestKey(t testing.TB, tag string, i int) *bls.SecretKey {
	t.Helper()
	seed := sha256.Sum256(fmt.Appendf(nil, "types-test-bls/%s/%d", tag, i))
	k, err := bls.GenerateKey(seed[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newEpochFixture(t testing.TB, tag string, chainID string, epoch uint64) *epochFixture {
	t.Helper()
	f := &epochFixture{}
	var vals []types.Validator
	for i, stake := range []uint64{4, 3, 2, 1} {
		k := blsTestKey(t, tag, i)
		f.keys = append(f.keys, k)
		vals = append(vals, types.Validator{PubKey: k.PublicKey(), Stake: stake})
	}
	vs, err := types.NewValidatorSet(chainID, epoch, bls.Scheme{}, vals)
	if err != nil {
		t.Fatal(err)
	}
	f.vs = vs
	return f
}

// cert returns the certificate of signers over msg (normally the change's
// signing bytes).
func (f *epochFixture) cert(t testing.TB, change types.EpochChange, msg []byte, signers ...int) *types.EpochCert {
	t.Helper()
	b := types.NewBitmap(f.vs.Len())
	var sigs [][]byte
	for _, i := range signers {
		b.Set(i)
		sigs = append(sigs, f.keys[i].Sign(msg))
	}
	sig, err := bls.Scheme{}.Aggregate(sigs)
	if err != nil {
		t.Fatal(err)
	}
	return &types.EpochCert{Change: change, Signers: b, Sig: sig}
}

// signed is a certificate of signers over change, as the ending set signs it.
func (f *epochFixture) signed(t testing.TB, change types.EpochChange, signers ...int) *types.EpochCert {
	return f.cert(t, change, change.SigningBytes(f.vs.ChainID), signers...)
}

func sampleChange(seed uint64) types.EpochChange {
	g := newGen(seed)
	return types.EpochChange{Epoch: 3, LastHeight: 300, LastBlock: g.hash(), SetHash: g.hash()}
}

// sampleEpochCerts returns encodable certificates of several shapes; they
// need not verify.
func sampleEpochCerts(seed uint64) []*types.EpochCert {
	g := newGen(seed)
	full := make(types.Bitmap, (types.MaxValidators+7)/8)
	for i := range full {
		full[i] = 0xff
	}
	return []*types.EpochCert{
		{},
		{Change: sampleChange(seed), Signers: g.bitmap(4), Sig: g.bytes(types.MaxSignatureSize)},
		{Change: types.EpochChange{Epoch: 1<<64 - 1, LastHeight: 1<<64 - 1, LastBlock: g.hash(), SetHash: g.hash()},
			Signers: g.bitmap(9), Sig: g.bytes(1)},
		{Change: sampleChange(seed + 1), Signers: full, Sig: g.bytes(types.MaxSignatureSize)},
	}
}

func TestEpochCertRoundTrip(t *testing.T) {
	f := newEpochFixture(t, "a", testChain, 2)
	real := f.signed(t, sampleChange(1), 0, 1, 3)
	for i, c := range append(sampleEpochCerts(1), real) {
		enc := types.EncodeEpochCert(c)
		got, err := types.DecodeEpochCert(enc)
		if err != nil {
			t.Fatalf("cert %d: %v", i, err)
		}
		assertEqual(t, c, got)
		if again := types.EncodeEpochCert(got); !bytes.Equal(again, enc) {
			t.Fatalf("cert %d re-encodes differently:\n%x\n%x", i, enc, again)
		}
	}
	// What a node stores and serves still verifies once decoded.
	got, err := types.DecodeEpochCert(types.EncodeEpochCert(real))
	if err != nil || got.Verify(f.vs) != nil {
		t.Fatalf("decoded certificate does not verify: %v", err)
	}
}

func TestDecodeEpochCertRejects(t *testing.T) {
	c := &types.EpochCert{Change: sampleChange(2), Signers: types.Bitmap{0x0b}, Sig: newGen(2).bytes(types.MaxSignatureSize)}
	enc := types.EncodeEpochCert(c)
	const signersOff = 1 + 8 + 8 + 32 + 32 // version, epoch, last height, last block, set hash
	sigOff := signersOff + 4 + len(c.Signers)
	u32 := func(b []byte, off int, v uint32) []byte { binary.BigEndian.PutUint32(b[off:], v); return b }
	withSigners := func(n int) []byte {
		return types.EncodeEpochCert(&types.EpochCert{Change: c.Change, Signers: make(types.Bitmap, n), Sig: c.Sig})
	}

	cases := []struct {
		name string
		in   []byte
		want error // nil: accepted
	}{
		{"valid", enc, nil},
		{"empty", nil, codec.ErrShort},
		{"version 0", with(enc, func(b []byte) []byte { b[0] = 0; return b }), codec.ErrVersion},
		{"version 2", with(enc, func(b []byte) []byte { b[0] = 2; return b }), codec.ErrVersion},
		{"version only", []byte{2}, codec.ErrVersion},
		{"trailing byte", append(bytes.Clone(enc), 0), codec.ErrTrailing},
		{"a second certificate after the first", append(bytes.Clone(enc), enc...), codec.ErrTrailing},
		{"signers at the limit", withSigners((types.MaxValidators + 7) / 8), nil},
		{"signers one byte over the limit", withSigners((types.MaxValidators+7)/8 + 1), codec.ErrTooLong},
		{"signers length 2^32-1", with(enc, func(b []byte) []byte { return u32(b, signersOff, 1<<32-1) }), codec.ErrTooLong},
		{"signers length past the end", with(enc, func(b []byte) []byte { return u32(b, signersOff, 100) }), codec.ErrShort},
		{"signature 97 bytes", types.EncodeEpochCert(&types.EpochCert{Sig: make([]byte, 97)}), codec.ErrTooLong},
		{"signature length 2^32-1", with(enc, func(b []byte) []byte { return u32(b, sigOff, 1<<32-1) }), codec.ErrTooLong},
		{"signature length past the end", with(enc, func(b []byte) []byte { return u32(b, sigOff, types.MaxSignatureSize) })[:sigOff+4+types.MaxSignatureSize/2], codec.ErrShort},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := types.DecodeEpochCert(c.in)
			if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}

	// Every proper prefix of every sample is short, and none panics.
	for i, s := range append(sampleEpochCerts(3), c) {
		e := types.EncodeEpochCert(s)
		for n := 0; n < len(e); n++ {
			if _, err := types.DecodeEpochCert(e[:n]); !errors.Is(err, codec.ErrShort) {
				t.Fatalf("cert %d cut at %d of %d: err %v, want ErrShort", i, n, len(e), err)
			}
		}
	}
}

// FuzzDecodeEpochCert: the decoder never panics, and what it accepts
// re-encodes to exactly the input, so a certificate's stored and served
// bytes are unique.
func FuzzDecodeEpochCert(f *testing.F) {
	for _, c := range sampleEpochCerts(1) {
		f.Add(types.EncodeEpochCert(c))
	}
	f.Add([]byte{})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := types.DecodeEpochCert(data)
		if err != nil {
			return
		}
		if enc := types.EncodeEpochCert(c); !bytes.Equal(enc, data) {
			t.Fatalf("accepted a non-canonical epoch cert encoding:\nin  %x\nout %x", data, enc)
		}
	})
}

func TestEpochCertVerify(t *testing.T) {
	const ending = 2
	f := newEpochFixture(t, "a", testChain, ending)
	change := types.EpochChange{Epoch: ending + 1, LastHeight: 300, LastBlock: newGen(5).hash(), SetHash: newGen(6).hash()}
	other := newGen(7).hash()
	otherChain := newEpochFixture(t, "a", "another-chain", ending) // same keys, another chain id
	laterEpoch := newEpochFixture(t, "a", testChain, ending+1)     // same keys, the new epoch's number
	otherKeys := newEpochFixture(t, "b", testChain, ending)        // the right epoch, other validators
	// The same fields, signed as if bound to the new epoch rather than to
	// the ending one: SigningBytes must bind to Epoch-1.
	boundToNew := types.SigningBytes(types.DomainEpoch, testChain, change.Epoch, func(w *codec.Writer) {
		w.U64(change.Epoch)
		w.U64(change.LastHeight)
		w.Fixed(change.LastBlock[:])
		w.Fixed(change.SetHash[:])
	})
	if !bytes.Equal(types.SigningBytes(types.DomainEpoch, testChain, ending, func(w *codec.Writer) {
		w.U64(change.Epoch)
		w.U64(change.LastHeight)
		w.Fixed(change.LastBlock[:])
		w.Fixed(change.SetHash[:])
	}), change.SigningBytes(testChain)) {
		t.Fatal("the layout this test rebuilds differs from SigningBytes; update boundToNew")
	}
	tampered := func(mut func(c *types.EpochChange)) func() *types.EpochCert {
		return func() *types.EpochCert {
			c := f.signed(t, change, 0, 1, 2)
			mut(&c.Change)
			return c
		}
	}

	cases := []struct {
		name string
		cert func() *types.EpochCert
		set  *types.ValidatorSet // nil: f.vs
		want error
	}{
		{"quorum 4+2+1", func() *types.EpochCert { return f.signed(t, change, 0, 2, 3) }, nil, nil},
		{"smallest quorum 4+3", func() *types.EpochCert { return f.signed(t, change, 0, 1) }, nil, nil},
		{"everyone", func() *types.EpochCert { return f.signed(t, change, 0, 1, 2, 3) }, nil, nil},
		{"stake 6 of 10 without the largest", func() *types.EpochCert { return f.signed(t, change, 1, 2, 3) }, nil, types.ErrNoQuorum},
		{"stake 6 of 10 with the largest", func() *types.EpochCert { return f.signed(t, change, 0, 2) }, nil, types.ErrNoQuorum},
		{"one signer", func() *types.EpochCert { return f.signed(t, change, 0) }, nil, types.ErrNoQuorum},
		{"empty bitmap", func() *types.EpochCert {
			c := f.signed(t, change, 0, 1)
			c.Signers = types.NewBitmap(4)
			return c
		}, nil, types.ErrNoQuorum},
		{"bitmap claims a quorum only two signed", func() *types.EpochCert {
			c := f.signed(t, change, 0, 2)
			c.Signers = types.Bitmap{0x07} // 0,1,2: stake 9
			return c
		}, nil, types.ErrBadSignature},
		{"bitmap drops a signer", func() *types.EpochCert {
			c := f.signed(t, change, 0, 1, 2)
			c.Signers = types.Bitmap{0x03}
			return c
		}, nil, types.ErrBadSignature},
		{"bitmap one byte too long", func() *types.EpochCert {
			c := f.signed(t, change, 0, 1)
			c.Signers = append(c.Signers, 0)
			return c
		}, nil, codec.ErrInvalid},
		{"stray bitmap bit past the set", func() *types.EpochCert {
			c := f.signed(t, change, 0, 1)
			c.Signers[0] |= 1 << 5
			return c
		}, nil, codec.ErrInvalid},
		{"tampered set hash", tampered(func(c *types.EpochChange) { c.SetHash = other }), nil, types.ErrBadSignature},
		{"tampered last block", tampered(func(c *types.EpochChange) { c.LastBlock = other }), nil, types.ErrBadSignature},
		{"tampered last height", tampered(func(c *types.EpochChange) { c.LastHeight++ }), nil, types.ErrBadSignature},
		{"tampered epoch", tampered(func(c *types.EpochChange) { c.Epoch++ }), nil, types.ErrWrongEpoch},
		{"change to epoch 0", func() *types.EpochCert {
			z := change
			z.Epoch = 0
			return f.signed(t, z, 0, 1, 2)
		}, nil, types.ErrWrongEpoch},
		{"signed for another chain", func() *types.EpochCert { return otherChain.signed(t, change, 0, 1, 2) }, nil, types.ErrBadSignature},
		{"signed bound to the new epoch", func() *types.EpochCert { return f.cert(t, change, boundToNew, 0, 1, 2) }, nil, types.ErrBadSignature},
		{"signed as a vote", func() *types.EpochCert {
			return f.cert(t, change, types.VoteSigningBytes(testChain, ending, change.LastHeight, change.SetHash), 0, 1, 2)
		}, nil, types.ErrBadSignature},
		{"signed by other validators", func() *types.EpochCert { return otherKeys.signed(t, change, 0, 1, 2) }, nil, types.ErrBadSignature},
		{"checked against the new epoch's set", func() *types.EpochCert { return f.signed(t, change, 0, 1, 2) }, laterEpoch.vs, types.ErrWrongEpoch},
		{"checked against another chain's set", func() *types.EpochCert { return f.signed(t, change, 0, 1, 2) }, otherChain.vs, types.ErrBadSignature},
		{"flipped signature byte", func() *types.EpochCert {
			c := f.signed(t, change, 0, 1, 2)
			c.Sig[10] ^= 0x01
			return c
		}, nil, types.ErrBadSignature},
		{"empty signature", func() *types.EpochCert {
			c := f.signed(t, change, 0, 1, 2)
			c.Sig = nil
			return c
		}, nil, types.ErrBadSignature},
		{"one signer's signature in place of the aggregate", func() *types.EpochCert {
			c := f.signed(t, change, 0, 1)
			c.Sig = f.keys[0].Sign(change.SigningBytes(testChain))
			return c
		}, nil, types.ErrBadSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set := c.set
			if set == nil {
				set = f.vs
			}
			err := c.cert().Verify(set)
			if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
		})
	}
}

// Each field of a change, and the chain id, changes what is signed.
func TestEpochChangeSigningBytes(t *testing.T) {
	base := sampleChange(8)
	other := newGen(9).hash()
	variants := []types.EpochChange{base, base, base, base}
	variants[0].Epoch++
	variants[1].LastHeight++
	variants[2].LastBlock = other
	variants[3].SetHash = other
	all := [][]byte{base.SigningBytes(testChain), base.SigningBytes("another-chain")}
	for _, v := range variants {
		all = append(all, v.SigningBytes(testChain))
	}
	// Same fields under another domain.
	all = append(all, types.SigningBytes(types.DomainVote, testChain, base.Epoch-1, func(w *codec.Writer) {
		w.U64(base.Epoch)
		w.U64(base.LastHeight)
		w.Fixed(base.LastBlock[:])
		w.Fixed(base.SetHash[:])
	}))
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			if bytes.Equal(all[i], all[j]) {
				t.Errorf("signing bytes %d and %d collide", i, j)
			}
		}
	}
}

// The epoch-sync messages have names, survive a round trip (they are also
// seeds of FuzzDecodeMessage through sampleMessages), and reject trailing
// bytes and truncation like every other kind.
func TestEpochMessages(t *testing.T) {
	if s := types.KindEpochRequest.String(); s != "epoch-request" {
		t.Errorf("KindEpochRequest.String() = %q", s)
	}
	if s := types.KindEpochProof.String(); s != "epoch-proof" {
		t.Errorf("KindEpochProof.String() = %q", s)
	}
	g := newGen(12)
	for _, m := range []types.Message{
		&types.EpochRequest{Epoch: 0},
		&types.EpochRequest{Epoch: 1<<64 - 1},
		&types.EpochProof{QC: g.qc(5, 9, g.hash())},
		&types.EpochProof{QC: types.GenesisQC(5, g.hash())},
	} {
		enc := types.EncodeMessage(m)
		got, err := types.DecodeMessage(enc)
		if err != nil {
			t.Fatalf("%v: %v", m.Kind(), err)
		}
		assertEqual(t, m, got)
		if _, err := types.DecodeMessage(append(bytes.Clone(enc), 0)); !errors.Is(err, codec.ErrTrailing) {
			t.Fatalf("%v with a trailing byte: err %v", m.Kind(), err)
		}
		if _, err := types.DecodeMessage(enc[:len(enc)-1]); !errors.Is(err, codec.ErrShort) {
			t.Fatalf("%v cut by one byte: err %v", m.Kind(), err)
		}
	}
	over := types.EncodeMessage(&types.EpochProof{QC: &types.QC{Signers: make(types.Bitmap, (types.MaxValidators+7)/8+1)}})
	if _, err := types.DecodeMessage(over); !errors.Is(err, codec.ErrTooLong) {
		t.Fatalf("epoch proof with an oversized bitmap: err %v", err)
	}
}
