package audit_test

import (
	"bytes"
	"fmt"
	"sort"
	"testing"

	"github.com/lazchain/lazchain/internal/audit"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/smt"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

const chain = "audit-test"

// fixture is a small chain's worth of signed data, built directly: four
// validators, one epoch change, an iDAO committee and an attested artifact.
type fixture struct {
	keys    []*bls.SecretKey
	genesis *state.Epoch
	bundle  *audit.Bundle
}

func hashOf(s string) types.Hash { return types.HashOf([]byte(s)) }

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{}
	var set []staking.Member
	for i := range 4 {
		sk, err := bls.GenerateKey([]byte(fmt.Sprintf("audit-fixture-validator-key-%04d", i)))
		if err != nil {
			t.Fatal(err)
		}
		f.keys = append(f.keys, sk)
		m := staking.Member{BLSKey: sk.PublicKey().Bytes(), Name: fmt.Sprintf("v%d", i), Power: 1000}
		m.Operator[0], m.NodeID[0] = byte(i+1), byte(i+1)
		set = append(set, m)
	}
	f.genesis = &state.Epoch{Number: 0, EndHeight: 100, Set: set}
	e1 := &state.Epoch{Number: 1, LastHeight: 100, LastBlock: hashOf("block 100"), EndHeight: 200, Set: set}
	cert := &types.EpochCert{Change: e1.Change(), Signers: f.signers(0, 1, 2)}
	cert.Sig = f.sign(t, cert.Change.SigningBytes(chain), 0, 1, 2)
	f.bundle = &audit.Bundle{ChainID: chain, Epochs: []audit.EpochStep{{Epoch: state.EncodeEpoch(e1), Cert: types.EncodeEpochCert(cert)}}}
	f.attested(t)
	return f
}

func (f *fixture) signers(idx ...int) types.Bitmap {
	b := types.NewBitmap(len(f.keys))
	for _, i := range idx {
		b.Set(i)
	}
	return b
}

func (f *fixture) sign(t testing.TB, msg []byte, idx ...int) []byte {
	var sigs [][]byte
	for _, i := range idx {
		sigs = append(sigs, f.keys[i].Sign(msg))
	}
	agg, err := bls.Scheme{}.Aggregate(sigs)
	if err != nil {
		t.Fatal(err)
	}
	return agg
}

// attested builds an artifact attested by 3 of its 4 committee seats, its
// events, a state tree holding them, and a certified header over it.
func (f *fixture) attested(t testing.TB) {
	root := hashOf("dataset bytes")
	sub := idao.Submit{IDAO: "datasets", Kind: verify.KindDataset, Root: root, Size: 4096, ChunkSize: 1 << 20, Name: "sample.csv", Verifier: "dataset/v1"}
	a := &idao.Artifact{ID: idao.ArtifactID(sub), Height: 120, Rotation: 1, Status: idao.Attested,
		Submit:  sub,
		Verdict: true, Digest: hashOf("digest"), AttestHeight: 125, CertRotation: 1, ChallengeEnd: 225}
	c := &idao.Committee{IDAO: "datasets", Rotation: 1, Seed: hashOf("seed")}
	for i, sk := range f.keys {
		s := idao.Seat{BLSKey: sk.PublicKey().Bytes(), Power: uint64(1000 + i)}
		s.Operator[0] = byte(i + 1)
		c.Seats = append(c.Seats, s)
	}
	sort.Slice(c.Seats, func(i, j int) bool { return bytes.Compare(c.Seats[i].Operator[:], c.Seats[j].Operator[:]) < 0 })
	a.Signers = f.signers(0, 1, 3)
	a.Sig = f.sign(t, idao.VoteBytes(chain, "datasets", a.ID, a.Verdict, a.Digest, 1), 0, 1, 3)
	a.SignedPower, a.CommitteePower = 1000+1001+1003, c.Power()

	events := map[uint64][]idao.Event{
		120: {{Type: "idao.voted", IDAO: "other"}, {Type: "artifact.submitted", IDAO: "datasets", Artifact: a.ID, Detail: "dataset sample.csv"}},
		125: {{Type: "artifact.attested", IDAO: "datasets", Artifact: a.ID, Detail: "valid"}, {Type: "artifact.attested", IDAO: "datasets", Artifact: hashOf("other")}},
	}
	kvs := []smt.KV{
		{Key: state.ArtifactKey(a.ID), Value: a.Encode()},
		{Key: state.CommitteeKey("datasets", 1), Value: c.Encode()},
		{Key: []byte("filler"), Value: []byte("other state")},
	}
	var proofs []audit.Event
	for _, h := range []uint64{120, 125} {
		var raw [][]byte
		var leaves []merkle.Hash
		for _, e := range events[h] {
			enc := state.EncodeEvent(e)
			raw, leaves = append(raw, enc), append(leaves, merkle.LeafHash(enc))
		}
		kvs = append(kvs, smt.KV{Key: state.EventsRootKey(h), Value: state.EventsRootValue(state.EventsRoot(raw), len(raw))})
		for i, e := range events[h] {
			if e.Artifact != a.ID {
				continue
			}
			p, err := merkle.Prove(leaves, uint64(i))
			if err != nil {
				t.Fatal(err)
			}
			proofs = append(proofs, audit.Event{Height: h, Index: uint64(i), Count: uint64(len(raw)), Data: raw[i], Path: p.Path})
		}
	}
	tree, err := smt.New().Update(kvs)
	if err != nil {
		t.Fatal(err)
	}
	b := f.bundle
	b.Artifact, b.Events = a.ID, proofs
	for _, kv := range kvs[:2] {
		b.Records = append(b.Records, audit.Record{Key: kv.Key, Value: kv.Value, Proof: tree.Prove(kv.Key)})
	}
	for _, h := range []uint64{120, 125} {
		k := state.EventsRootKey(h)
		v := kvs[len(kvs)-2+int((h-120)/5)].Value
		b.Records = append(b.Records, audit.Record{Key: k, Value: v, Proof: tree.Prove(k)})
	}
	parentQC := &types.QC{Epoch: 1, Round: 49, BlockID: hashOf("block 129"), Signers: f.signers(0, 1, 2), Sig: f.sign(t, []byte("parent"), 0)}
	b.Header = &types.Header{Epoch: 1, Round: 50, Height: 130, Parent: parentQC.BlockID, QC: parentQC, Proposer: 2,
		State: types.StateRef{Height: 128, Root: tree.Root(), Events: hashOf("events of 128")}, PayloadHash: hashOf("payload")}
	id := b.Header.ID()
	b.Commit = &types.QC{Epoch: 1, Round: 50, BlockID: id, Signers: f.signers(1, 2, 3)}
	b.Commit.Sig = f.sign(t, types.VoteSigningBytes(chain, 1, 50, id), 1, 2, 3)
}
