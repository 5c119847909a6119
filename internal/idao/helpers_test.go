package idao

import (
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

const testChain = "idao-test"

var testKeys = map[int]*bls.SecretKey{}

func blsKey(i int) *bls.SecretKey {
	if k, ok := testKeys[i]; ok {
		return k
	}
	seed := sha256.Sum256(fmt.Appendf(nil, "idao-test-key-%d", i))
	k, err := bls.GenerateKey(seed[:])
	if err != nil {
		panic(err)
	}
	testKeys[i] = k
	return k
}

func op(i int) staking.Address {
	var a staking.Address
	a[0], a[31] = byte(i+1), 0x5A
	return a
}

// world is a chain of n validators with stakes, an iDAO state and
// in-memory records.
type world struct {
	t      *testing.T
	st     *State
	stake  *staking.State
	bank   staking.Bank
	rec    *memRecords
	height uint64
}

type memRecords struct {
	arts     map[types.Hash]*Artifact
	disputes map[types.Hash]*Dispute
	comms    []*Committee
	events   []Event
}

func (m *memRecords) Artifact(id types.Hash) (*Artifact, bool) {
	a, ok := m.arts[id]
	if !ok {
		return nil, false
	}
	c, _ := DecodeArtifact(a.Encode()) // a copy, as a store would return
	return c, true
}
func (m *memRecords) PutArtifact(a *Artifact)   { m.arts[a.ID] = a }
func (m *memRecords) PutCommittee(c *Committee) { m.comms = append(m.comms, c) }
func (m *memRecords) Emit(e Event)              { m.events = append(m.events, e) }

func (m *memRecords) Dispute(id types.Hash) (*Dispute, bool) {
	d, ok := m.disputes[id]
	if !ok {
		return nil, false
	}
	c, err := DecodeDispute(d.Encode()) // a copy, as a store would return
	if err != nil {
		panic(err)
	}
	return c, true
}
func (m *memRecords) PutDispute(d *Dispute) { m.disputes[d.ID] = d }

// Committee returns the latest committee stored for the rotation, as a
// store keyed by (name, rotation) would.
func (m *memRecords) Committee(name string, r uint64) (*Committee, bool) {
	for i := len(m.comms) - 1; i >= 0; i-- {
		if c := m.comms[i]; c.IDAO == name && c.Rotation == r {
			return c, true
		}
	}
	return nil, false
}

func newWorld(t *testing.T, stakes ...uint64) *world {
	t.Helper()
	var vals []staking.GenesisValidator
	for i, s := range stakes {
		k := blsKey(i)
		var id [32]byte
		id[0] = byte(i + 1)
		vals = append(vals, staking.GenesisValidator{Operator: op(i), NodeID: id, BLSKey: k.PublicKey().Bytes(),
			PoP: k.ProvePossession(), Name: fmt.Sprintf("v%d", i), Stake: s})
	}
	sp := staking.DefaultParams()
	sp.MinStake = 1
	stake, err := staking.Genesis(testChain, sp, vals)
	if err != nil {
		t.Fatal(err)
	}
	st, err := New(testChain, Params{RotationBlocks: 10, VotingPeriod: 50, RulingBlocks: 20, SlashBps: 1000})
	if err != nil {
		t.Fatal(err)
	}
	bank := staking.MapBank{}
	for i := range stakes {
		bank[op(i)] = 1_000_000
	}
	bank[op(99)] = 1_000_000
	return &world{t: t, st: st, stake: stake, bank: bank, rec: &memRecords{arts: map[types.Hash]*Artifact{}, disputes: map[types.Hash]*Dispute{}}, height: 1}
}

func (w *world) ctx() Ctx {
	return Ctx{Bank: w.bank, Staking: w.stake, Records: w.rec, Height: w.height}
}

// exec runs one tx and returns its failure code (0 for success).
func (w *world) exec(sender staking.Address, kind uint16, body []byte) Code {
	w.t.Helper()
	err := w.st.Exec(w.ctx(), sender, kind, body)
	if err == nil {
		return 0
	}
	f, ok := err.(*Failure)
	if !ok {
		w.t.Fatalf("error %v is not a *Failure", err)
	}
	return f.Code
}

// advance ends blocks until height h, as the state machine does: open
// disputes past their deadline expire, then rotations close.
func (w *world) advance(h uint64) {
	for ; w.height < h; w.height++ {
		w.st.EndBlockDisputes(w.ctx())
		w.st.EndBlock(w.ctx())
	}
}

func (w *world) create(name string, p Policy, members ...int) {
	w.t.Helper()
	c := Create{Name: name, Policy: p}
	for _, m := range members {
		c.Members = append(c.Members, op(m))
	}
	if code := w.exec(op(members[0]), KindCreate, c.Encode()); code != 0 {
		w.t.Fatalf("create %s: %s", name, code)
	}
}

func sampleSubmit(name string, n byte) Submit {
	return Submit{IDAO: name, Kind: verify.KindDataset, Root: types.Hash{n, 1}, Size: 100, ChunkSize: 1 << 20,
		Name: "sample", Format: "csv", Schema: []byte(`{"columns":[{"name":"a","type":"int"}]}`)}
}

// certify builds an attestation signed by the committee seats in idx.
func (w *world) certify(a *Artifact, rotation uint64, verdict bool, digest types.Hash, idx ...int) Attest {
	w.t.Helper()
	c, ok := w.st.Committee(a.Submit.IDAO, rotation)
	if !ok {
		w.t.Fatalf("no committee for rotation %d", rotation)
	}
	msg := VoteBytes(testChain, a.Submit.IDAO, a.ID, verdict, digest, rotation)
	bm := types.NewBitmap(len(c.Seats))
	var sigs [][]byte
	for _, i := range idx {
		bm.Set(i)
		sigs = append(sigs, keyOf(c.Seats[i].Operator).Sign(msg))
	}
	agg, err := (bls.Scheme{}).Aggregate(sigs)
	if err != nil {
		w.t.Fatal(err)
	}
	return Attest{Artifact: a.ID, Verdict: verdict, Digest: digest, Rotation: rotation, Signers: bm, Sig: agg}
}

func keyOf(a staking.Address) *bls.SecretKey { return blsKey(int(a[0]) - 1) }
