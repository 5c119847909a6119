package staking

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/types"
)

const testChain = "staking-test"

var (
	keyMu    sync.Mutex
	keyCache = map[int]*bls.SecretKey{}
	popCache = map[int][]byte{}
)

// key returns the i-th test BLS key, derived from a fixed seed.
func key(i int) *bls.SecretKey {
	keyMu.Lock()
	defer keyMu.Unlock()
	if k, ok := keyCache[i]; ok {
		return k
	}
	seed := sha256.Sum256(fmt.Appendf(nil, "staking-test-key-%d", i))
	k, err := bls.GenerateKey(seed[:])
	if err != nil {
		panic(err)
	}
	keyCache[i] = k
	return k
}

func pubKey(i int) []byte { return key(i).PublicKey().Bytes() }

// pop returns key i's proof of possession; proving costs a pairing-sized
// signature, so it is cached.
func pop(i int) []byte {
	k := key(i)
	keyMu.Lock()
	defer keyMu.Unlock()
	if p, ok := popCache[i]; ok {
		return p
	}
	popCache[i] = k.ProvePossession()
	return popCache[i]
}

// addr returns a distinct address for i; addr(i) < addr(j) when i < j.
func addr(i int) Address {
	var a Address
	a[0], a[1], a[31] = byte(i>>8), byte(i), 0xA5
	return a
}

// nodeKey returns the i-th test node key; nodeID(i) is its public key.
func nodeKey(i int) ed25519.PrivateKey {
	seed := sha256.Sum256(fmt.Appendf(nil, "node-%d", i))
	return ed25519.NewKeyFromSeed(seed[:])
}

func nodeID(i int) [32]byte { return [32]byte(nodeKey(i).Public().(ed25519.PublicKey)) }

func genesisVal(i int, stake uint64) GenesisValidator {
	return GenesisValidator{
		Operator: addr(i), NodeID: nodeID(i), BLSKey: pubKey(i), PoP: pop(i),
		Name: fmt.Sprintf("val-%d", i), NetAddr: fmt.Sprintf("10.0.0.%d:26656", i), Stake: stake,
	}
}

func createBody(i int, selfBond uint64, commission uint32) []byte {
	c := createValidator(i, selfBond, commission)
	return c.Encode()
}

// createValidator is validator i's registration, signed for operator
// addr(i).
func createValidator(i int, selfBond uint64, commission uint32) CreateValidator {
	c := CreateValidator{
		BLSKey: pubKey(i), PoP: pop(i), NodeID: nodeID(i), Name: fmt.Sprintf("val-%d", i),
		NetAddr: fmt.Sprintf("10.0.0.%d:26656", i), CommissionBps: commission, SelfBond: selfBond,
	}
	c.SignRegistration(testChain, addr(i), key(i), nodeKey(i))
	return c
}

// fixture is a state with a bank, driven block by block.
type fixture struct {
	t       testing.TB
	s       *State
	bank    MapBank
	genesis uint64 // liquid supply at genesis
	height  uint64 // height of the block being executed
}

// testParams are the defaults with short epochs so tests cross many.
func testParams() Params {
	p := DefaultParams()
	p.EpochLength = 10
	p.UnbondingBlocks = 30 // the evidence window: (EvidenceMaxAgeEpochs+1) epochs
	return p
}

// newFixture makes genesis validators addr(1..) with the given stakes and
// gives each of addr(1..20) a balance of 100_000.
func newFixture(t testing.TB, p Params, stakes ...uint64) *fixture {
	t.Helper()
	vals := make([]GenesisValidator, len(stakes))
	for i, st := range stakes {
		vals[i] = genesisVal(i+1, st)
	}
	s, err := Genesis(testChain, p, vals)
	if err != nil {
		t.Fatalf("genesis: %v", err)
	}
	f := &fixture{t: t, s: s, bank: MapBank{}, height: 1}
	for i := 1; i <= 20; i++ {
		f.bank.SetBalance(addr(i), 100_000)
		f.genesis += 100_000
	}
	return f
}

func (f *fixture) exec(sender Address, kind uint16, body []byte) error {
	return f.s.Exec(Ctx{Bank: f.bank, Height: f.height}, sender, kind, body)
}

func (f *fixture) mustExec(sender Address, kind uint16, body []byte) {
	f.t.Helper()
	if err := f.exec(sender, kind, body); err != nil {
		f.t.Fatalf("exec kind %d by %s: %v", kind, sender, err)
	}
}

// commit records a block proposed by proposer and signed by signers of the
// current set, then ends it.
func (f *fixture) commit(proposer uint32, signers []int) *EpochChange {
	bm := types.NewBitmap(len(f.s.Active()))
	for _, i := range signers {
		bm.Set(i)
	}
	f.s.RecordBlock(proposer, bm)
	ch := f.s.EndBlock(f.bank, f.height)
	f.height++
	return ch
}

func all(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// endEpoch commits blocks signed by the whole set until the epoch ends.
func (f *fixture) endEpoch() *EpochChange {
	f.t.Helper()
	for {
		n := len(f.s.Active())
		if ch := f.commit(uint32(f.height%uint64(n)), all(n)); ch != nil {
			return ch
		}
	}
}

func (f *fixture) checkSupply() {
	f.t.Helper()
	sum, ok := f.bank.Sum()
	if !ok {
		f.t.Fatal("balances overflow")
	}
	if err := f.s.CheckSupply(sum, f.genesis); err != nil {
		f.t.Fatal(err)
	}
	if err := f.s.check(); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) val(i int) Validator {
	f.t.Helper()
	v, ok := f.s.Validator(addr(i))
	if !ok {
		f.t.Fatalf("no validator %d", i)
	}
	return v
}

func operators(set []Member) []Address {
	out := make([]Address, len(set))
	for i, m := range set {
		out[i] = m.Operator
	}
	return out
}

func addrs(is ...int) []Address {
	out := make([]Address, len(is))
	for k, i := range is {
		out[k] = addr(i)
	}
	return out
}

// snapshot captures everything a failed transaction must not change.
type snapshot struct {
	state []byte
	bank  MapBank
}

func (f *fixture) snap() snapshot { return snapshot{f.s.Encode(), maps.Clone(f.bank)} }

func (f *fixture) unchanged(before snapshot) error {
	if !bytes.Equal(before.state, f.s.Encode()) {
		return errors.New("state changed")
	}
	if !maps.Equal(before.bank, f.bank) {
		return errors.New("bank changed")
	}
	return nil
}

func codeOf(err error) (Code, bool) {
	var fl *Failure
	if errors.As(err, &fl) {
		return fl.Code, true
	}
	return 0, false
}

// sign returns key i's signature for evidence of kind over block.
func sign(i int, kind uint8, epoch, round uint64, block types.Hash) []byte {
	e := Evidence{Kind: kind, Epoch: epoch, Round: round}
	return key(i).Sign(e.signingBytes(testChain, block))
}

// equivocation returns valid evidence that key i, at index signer of
// epoch's set, signed blocks A and B in round.
func equivocation(i int, kind uint8, epoch, round uint64, signer uint32) Evidence {
	a, b := types.HashOf([]byte("block-a")), types.HashOf([]byte("block-b"))
	return Evidence{
		Kind: kind, Epoch: epoch, Round: round, Signer: signer, BlockA: a, BlockB: b,
		SigA: sign(i, kind, epoch, round, a), SigB: sign(i, kind, epoch, round, b),
	}
}
