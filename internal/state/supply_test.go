package state_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/state"
	"github.com/lazchain/lazchain/internal/store"
	"github.com/lazchain/lazchain/internal/types"
)

// supplyUsers is how many accounts the supply test uses; every balance
// the chain can hold is one of theirs (validators are operated by them,
// reporters and delegators are them), so their sum is the liquid supply.
const supplyUsers = 6

// supplyGenesis has short epochs, short unbonding and a strict downtime
// rule, so a few dozen blocks reach every path that mints, burns, bonds
// or releases tokens.
func supplyGenesis(t testing.TB) (state.Genesis, uint64) {
	p := staking.DefaultParams()
	p.EpochLength = 4
	p.UnbondingBlocks = 8 // the evidence window: EvidenceMaxAgeEpochs+1 epochs
	p.MaxValidators = 3
	p.SlashEquivocationBps = 2_000
	p.SlashDowntimeBps = 500
	p.DowntimeMinSignedBps = 2_000 // at least one of an epoch's four blocks
	p.EvidenceMaxAgeEpochs = 1
	g := state.Genesis{Params: p, Validators: []staking.GenesisValidator{
		genesisValidator(t, 0, 10_000), genesisValidator(t, 1, 8_000),
	}}
	var liquid uint64
	for i := range supplyUsers {
		b := 20_000 + 1_000*uint64(i)
		g.Accounts = append(g.Accounts, state.GenesisAccount{Address: addr(i), Balance: b})
		liquid += b
	}
	return g, liquid
}

// txGen writes a seeded stream of staking transactions, looking at the
// machine's committed state so that most of them could succeed and the
// rest fail for a variety of reasons.
type txGen struct {
	t    *testing.T
	r    *rand.Rand
	e    *env
	next [supplyUsers]uint64
	sks  map[string]*bls.SecretKey // by public key, to sign evidence
}

func newTxGen(t *testing.T, seed uint64, e *env) *txGen {
	g := &txGen{t: t, r: rand.New(rand.NewPCG(seed, seed^0x5eed)), e: e, sks: map[string]*bls.SecretKey{}}
	for i := range supplyUsers {
		k := blsKey(t, i)
		g.sks[string(k.PublicKey().Bytes())] = k
	}
	return g
}

func (g *txGen) block(height uint64) *types.Block {
	var txs []*types.Tx
	for range g.r.IntN(6) {
		s, kind, body := g.tx()
		txs = append(txs, stx(s, g.next[s], kind, body))
		g.next[s]++
	}
	// Proposer 3 is outside a set of three or fewer, so some blocks credit
	// nobody and members miss enough of them to be slashed for downtime.
	return types.NewBlock(0, height, height, parentQC(0), uint32(g.r.IntN(4)), txs)
}

// tx picks a kind, then a sender that suits it most of the time (only an
// operator can unjail or edit), then a body.
func (g *txGen) tx() (int, uint16, []byte) {
	r, view := g.r, g.e.m.Staking()
	var vals, jailed, others []int
	for i := range supplyUsers {
		v, ok := view.Validator(addr(i))
		switch {
		case !ok:
			others = append(others, i)
		case v.Jailed:
			jailed = append(jailed, i)
			vals = append(vals, i)
		default:
			vals = append(vals, i)
		}
	}
	pick := func(prefer []int) int {
		if len(prefer) > 0 && r.IntN(4) != 0 {
			return prefer[r.IntN(len(prefer))]
		}
		return r.IntN(supplyUsers)
	}
	switch p := r.IntN(16); {
	case p < 4:
		s := pick(nil)
		return s, staking.KindTransfer, staking.Transfer{To: addr(r.IntN(supplyUsers)), Amount: r.Uint64N(g.e.balance(s)*5/4 + 2)}.Encode()
	case p < 5:
		s := pick(others)
		k := s // sometimes another user's key: a duplicate once that user registered
		if r.IntN(5) == 0 {
			k = (s + 1) % supplyUsers
		}
		return s, staking.KindCreateValidator, createValidator(g.t, s, k, 500+r.Uint64N(6_000), r.Uint32N(3_000))
	case p < 6:
		return pick(vals), staking.KindEditValidator, staking.EditValidator{Name: "renamed", CommissionBps: r.Uint32N(12_000)}.Encode()
	case p < 9:
		s, to := pick(nil), addr(r.IntN(supplyUsers))
		if len(vals) > 0 && r.IntN(4) != 0 {
			to = addr(vals[r.IntN(len(vals))])
		}
		return s, staking.KindDelegate, staking.Delegate{Validator: to, Amount: 1 + r.Uint64N(g.e.balance(s)/2+1)}.Encode()
	case p < 11:
		s := pick(nil)
		u := staking.Undelegate{Validator: addr(r.IntN(supplyUsers)), Amount: 100}
		if ds := view.DelegationsOf(addr(s)); len(ds) > 0 {
			d := ds[r.IntN(len(ds))]
			u = staking.Undelegate{Validator: d.Validator, Amount: 1 + r.Uint64N(d.Tokens+d.Tokens/10+1)}
		}
		return s, staking.KindUndelegate, u.Encode()
	case p < 12:
		return pick(nil), staking.KindWithdraw, staking.Withdraw{}.Encode()
	case p < 14:
		return pick(jailed), staking.KindUnjail, staking.Unjail{}.Encode()
	case p < 15:
		if r.IntN(2) == 0 {
			return pick(nil), staking.KindEvidence, g.evidence(view)
		}
		return pick(nil), state.KindMemo, []byte("memo")
	default:
		return pick(nil), 999, []byte("unknown")
	}
}

// evidence is a double vote by a member of the current set, in one of
// few rounds so that some reports repeat an offense already punished.
func (g *txGen) evidence(view *staking.State) []byte {
	set := view.Active()
	i := g.r.IntN(len(set))
	sk := g.sks[string(set[i].BLSKey)]
	e := staking.Evidence{Kind: staking.EvidenceVote, Epoch: view.Epoch(), Round: g.r.Uint64N(3), Signer: uint32(i)}
	g.fill(e.BlockA[:])
	g.fill(e.BlockB[:])
	e.SigA = sk.Sign(types.VoteSigningBytes(chain, e.Epoch, e.Round, e.BlockA))
	e.SigB = sk.Sign(types.VoteSigningBytes(chain, e.Epoch, e.Round, e.BlockB))
	return e.Encode()
}

func (g *txGen) fill(b []byte) {
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
}

// checkSupply asserts that no token was created or lost: the users'
// balances plus bonded and unbonding stake equal the genesis liquid
// supply plus what staking minted (genesis stakes and rewards) minus what
// it burned (slashes not paid to reporters).
func checkSupply(t *testing.T, e *env, genesisLiquid uint64, when string) staking.Supply {
	t.Helper()
	var balances uint64
	for i := range supplyUsers {
		balances += e.balance(i)
	}
	sup := e.m.Staking().Supply()
	if have, want := balances+sup.Bonded+sup.Unbonding, genesisLiquid+sup.Minted-sup.Burned; have != want {
		t.Fatalf("%s: balances %d + bonded %d + unbonding %d = %d, want genesis %d + minted %d - burned %d = %d",
			when, balances, sup.Bonded, sup.Unbonding, have, genesisLiquid, sup.Minted, sup.Burned, want)
	}
	if err := e.m.Staking().CheckSupply(balances, genesisLiquid); err != nil {
		t.Fatalf("%s: staking's own check disagrees: %v", when, err)
	}
	return sup
}

// A seeded mix of every staking transaction, with downtime and
// equivocation slashing and epoch rewards, conserves the supply after
// every block, across a restart, and gives the same state when the
// blocks are applied in one call.
func TestSupplyConserved(t *testing.T) {
	const blocks = 48
	for _, seed := range []uint64{1, 2, 3} {
		g, liquid := supplyGenesis(t)
		a := newEnvGenesis(t, nil, g)
		gen := newTxGen(t, seed, a)
		var all []*types.Block
		var writes []store.KV
		okKinds, failCodes := map[uint16]int{}, map[state.Code]int{}
		var maxUnbonding uint64
		for h := uint64(1); h <= blocks; h++ {
			if h == blocks/2 {
				a.reopen()
			}
			b := gen.block(h)
			all = append(all, b)
			kvs := a.apply(b)
			writes = append(writes, kvs...)
			for _, acc := range a.classify(kvs).accounts {
				if !slices.Contains(addrs(0, 1, 2, 3, 4, 5), acc) {
					t.Fatalf("seed %d: account %x outside the tracked users holds a balance", seed, acc)
				}
			}
			for i, x := range b.Txs {
				r := a.receipt(x)
				if r.Height != h || r.Index != uint32(i) || !(r.Code == state.OK || r.Code == state.UnknownKind || r.Code >= 16) {
					t.Fatalf("seed %d height %d tx %d (kind %d): receipt %+v", seed, h, i, x.Kind, r)
				}
				if r.Code == state.OK {
					okKinds[x.Kind]++
				} else {
					failCodes[r.Code]++
				}
			}
			sup := checkSupply(t, a, liquid, fmt.Sprintf("seed %d height %d", seed, h))
			maxUnbonding = max(maxUnbonding, sup.Unbonding)
		}

		c := newEnvGenesis(t, nil, g)
		sameState(t, fmt.Sprintf("seed %d one call", seed), writes, c.apply(all...))
		checkSupply(t, c, liquid, fmt.Sprintf("seed %d one call", seed))
		if sa, sc := snapshot(a), snapshot(c); !reflect.DeepEqual(sa, sc) {
			t.Fatalf("seed %d: one call differs:\n%+v\n%+v", seed, sa, sc)
		}

		// The invariant is only worth something if the sequence moved
		// tokens every way there is.
		sup := a.m.Staking().Supply()
		for _, k := range []uint16{staking.KindTransfer, staking.KindCreateValidator, staking.KindDelegate,
			staking.KindUndelegate, staking.KindWithdraw, staking.KindEvidence} {
			if okKinds[k] == 0 {
				t.Errorf("seed %d: no kind %d transaction succeeded (ok %v)", seed, k, okKinds)
			}
		}
		if len(failCodes) < 5 || failCodes[state.UnknownKind] == 0 {
			t.Errorf("seed %d: failures %v, want unknown kinds and several staking codes", seed, failCodes)
		}
		if sup.Burned == 0 || sup.Minted <= 18_000 || maxUnbonding == 0 || a.m.CurrentEpoch().Number < blocks/4-1 {
			t.Errorf("seed %d: supply %+v, max unbonding %d, epoch %d: slashing, rewards or unbonding never happened",
				seed, sup, maxUnbonding, a.m.CurrentEpoch().Number)
		}
	}
}
